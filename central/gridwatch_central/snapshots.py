"""Snapshot images on disk, addressed by the sha256 of their content, with retention.

Content addressing makes a redelivered alert write nothing new and lets identical frames share
one file. ``ab/cd/abcd…`` sharding keeps directories small (65 536 leaves hold millions).

Durability: ingest writes a batch of files with ``write`` and then calls ``sync`` once, before
the database commit that references them. One ``os.sync`` per batch costs a few milliseconds;
one ``fsync`` per file costs about a millisecond each, which alone would cap ingest far below
its 3000 alerts/s target.

Retention (``prune``): a file is deleted when it is older than the retention period (by
modification time, which ``write`` refreshes when the same image arrives again) and no alert
of a still-open case refers to it. Evidence of open cases is never deleted, however old.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class PruneReport:
    deleted: int
    kept_referenced: int
    freed_bytes: int


class SnapshotStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._root_text = os.fspath(root)
        # Shard directories known to exist: saves a mkdir system call per image.
        self._made_dirs: set[str] = set()

    @property
    def root(self) -> Path:
        return self._root

    def path_for(self, content_hash: str) -> Path:
        if not _HASH.match(content_hash):
            raise ValueError(f"not a sha256 hex digest: {content_hash!r}")
        return self._root / content_hash[:2] / content_hash[2:4] / content_hash

    def save(self, data: bytes) -> str:
        """Store ``data`` durably (if not already there) and return its sha256 hex digest."""
        content_hash = self.write(data)
        self.sync()
        return content_hash

    def write(self, data: bytes) -> str:
        """Store ``data`` without waiting for the disk; call ``sync`` before relying on it."""
        content_hash = hashlib.sha256(data).hexdigest()
        # Plain strings, not Path objects: ingest writes thousands of files a second, and the
        # path arithmetic of pathlib cost more than the system calls. The hash is hex by
        # construction, so it needs no check here.
        directory = f"{self._root_text}/{content_hash[:2]}/{content_hash[2:4]}"
        target = f"{directory}/{content_hash}"
        try:
            # Already there: refresh its age so retention keeps an image just referenced again.
            os.utime(target)
            return content_hash
        except FileNotFoundError:
            pass
        if directory not in self._made_dirs:
            os.makedirs(directory, exist_ok=True)
            self._made_dirs.add(directory)
        # Write beside the target then rename: a reader never sees a half-written file, and a
        # crash leaves only a stray temp file (retention removes it), never a wrong image under
        # a valid hash. The temp name is unique per thread, so concurrent writers never share it.
        temporary = f"{directory}/.tmp-{content_hash[:16]}-{os.getpid()}-{threading.get_ident()}"
        try:
            with open(temporary, "wb") as stream:
                stream.write(data)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return content_hash

    @staticmethod
    def sync() -> None:
        """Flush every written file to disk (one system call for a whole batch)."""
        os.sync()

    def read(self, content_hash: str) -> bytes | None:
        """The stored bytes, or None if there is no such snapshot."""
        try:
            return self.path_for(content_hash).read_bytes()
        except FileNotFoundError:
            return None

    def prune(
        self, max_age_s: float, keep: Collection[str], *, now: float | None = None
    ) -> PruneReport:
        """Delete files older than ``max_age_s`` whose hash is not in ``keep``."""
        cutoff = (time.time() if now is None else now) - max_age_s
        deleted = kept = freed = 0
        for path in self._root.glob("??/??/*"):
            name = path.name
            if not _HASH.match(name):
                if name.startswith(".tmp-") and _mtime(path) < cutoff:
                    path.unlink(missing_ok=True)  # left behind by a crash mid-write
                continue
            stat = _stat(path)
            if stat is None or stat.st_mtime >= cutoff:
                continue
            if name in keep:
                kept += 1
                continue
            path.unlink(missing_ok=True)
            deleted += 1
            freed += stat.st_size
        return PruneReport(deleted=deleted, kept_referenced=kept, freed_bytes=freed)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:  # another central process pruned it first
        return None


def _mtime(path: Path) -> float:
    stat = _stat(path)
    return stat.st_mtime if stat is not None else float("inf")
