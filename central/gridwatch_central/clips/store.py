"""Clip files: uploads assembled in ``incoming/``, kept clips under ``stored/``, retention.

An upload is written chunk by chunk at its offsets into ``incoming/<clip_id>.part`` (each
chunk fsynced before its ack, so what central confirms survives a crash), then checked (size,
sha256, ``probe_mp4``) and renamed into ``stored/``, on the same file system: no copy. Chunks
are written at their offset, never appended, so a chunk delivered twice, even to two central
processes sharing the folder, writes the same bytes to the same place. One file per clip: a
clip is megabytes and rare, so the file creation (~0.5 ms) that made packs worth it for
snapshots costs nothing here, and a file serves HTTP range requests as it is.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.clips.probe import ProbedClip, UnplayableClipError, probe_mp4
from gridwatch_central.db import clip_repository

log = logging.getLogger(__name__)

INCOMING = "incoming"
STORED = "stored"
_READ_BLOCK = 1024 * 1024


class RejectedClipError(ValueError):
    """A complete upload that is not the clip announced; the message is the reason."""


@dataclass(frozen=True, slots=True)
class KeptClip:
    path: str  # relative to the clip folder
    size_bytes: int
    probed: ProbedClip


@dataclass(frozen=True, slots=True)
class ClipPruneReport:
    deleted: int
    kept_referenced: int
    freed_bytes: int
    abandoned_uploads: int


class ClipStore:
    def __init__(self, root: Path, *, upload_ttl_s: float) -> None:
        self.root = root
        self._incoming = root / INCOMING
        self._upload_ttl_s = upload_ttl_s

    def write_chunk(self, clip_id: uuid.UUID, offset: int, data: bytes) -> int:
        """Write ``data`` at ``offset`` if it continues what is held; the bytes held after.

        A chunk beyond a gap is not written: the answer (the bytes held) tells the edge where
        to resume.
        """
        self._incoming.mkdir(parents=True, exist_ok=True)
        path = self._part(clip_id)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            held = os.fstat(fd).st_size
            if offset > held:
                return held
            view = memoryview(data)
            position = offset
            while view:
                written = os.pwrite(fd, view, position)
                view, position = view[written:], position + written
            os.fsync(fd)
            return max(held, offset + len(data))
        finally:
            os.close(fd)

    def complete(self, clip_id: uuid.UUID, total_bytes: int, sha256: str) -> KeptClip:
        """Check the assembled upload and keep it; ``RejectedClipError`` (upload discarded)
        when it is not the clip announced or does not play."""
        part = self._part(clip_id)
        try:
            size, digest = _size_and_sha256(part)
            if size != total_bytes:
                raise RejectedClipError(f"truncated: {size} of {total_bytes} bytes arrived")
            if digest != sha256:
                raise RejectedClipError("corrupt: the bytes do not match the clip's sha256")
            try:
                probed = probe_mp4(part)
            except UnplayableClipError as error:
                raise RejectedClipError(f"unplayable: {error}") from None
        except (RejectedClipError, OSError):
            part.unlink(missing_ok=True)
            raise
        relative = f"{STORED}/{str(clip_id)[:2]}/{clip_id}.mp4"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, target)
        _sync_folder(target.parent)
        return KeptClip(relative, size, probed)

    def discard(self, clip_id: uuid.UUID) -> None:
        self._part(clip_id).unlink(missing_ok=True)

    def path_of(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):  # a row is never trusted blindly
            raise ValueError(f"clip path {relative!r} leaves the clip folder")
        return path

    def prune(
        self,
        sessions: sessionmaker[Session],
        max_age_s: float | None,
        keep: Collection[uuid.UUID],
        *,
        now: datetime,
    ) -> ClipPruneReport:
        """Delete clips stored more than ``max_age_s`` ago that are not in ``keep`` (their rows
        say ``expired``; None keeps them all), and uploads abandoned beyond the upload TTL."""
        old: list[tuple[uuid.UUID, str | None]] = []
        if max_age_s is not None:
            cutoff = now - timedelta(seconds=max_age_s)
            with sessions() as session:
                rows = clip_repository.stored_before(session, cutoff)
                old = [(row.clip_id, row.path) for row in rows]
        doomed = [(clip_id, path) for clip_id, path in old if clip_id not in keep]
        # Rows first: a crash in between leaves a file nothing points at, never a row pointing
        # at a missing file.
        with sessions.begin() as session:
            clip_repository.mark_expired(session, [clip_id for clip_id, _path in doomed])
        freed = 0
        for _clip_id, relative in doomed:
            if relative is not None:
                path = self.path_of(relative)
                with contextlib.suppress(FileNotFoundError):
                    freed += path.stat().st_size
                    path.unlink()
        return ClipPruneReport(
            deleted=len(doomed),
            kept_referenced=len(old) - len(doomed),
            freed_bytes=freed,
            abandoned_uploads=self._prune_uploads(now.timestamp()),
        )

    def _prune_uploads(self, now: float) -> int:
        removed = 0
        try:
            entries = list(os.scandir(self._incoming))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.stat().st_mtime < now - self._upload_ttl_s:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:  # another central process took it
                continue
        return removed

    def _part(self, clip_id: uuid.UUID) -> Path:
        return self._incoming / f"{clip_id}.part"


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as file:
        while block := file.read(_READ_BLOCK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
