"""The snapshot store: images appended to pack files, found through the snapshot index."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import snapshot_repository
from gridwatch_central.snapshots.legacy import prune_legacy, read_legacy
from gridwatch_central.snapshots.names import check_sha256
from gridwatch_central.snapshots.packs import (
    PACK_DIR,
    PACK_SUFFIX,
    PackWriter,
    StoredSnapshot,
    pack_hour,
    read_span,
)

log = logging.getLogger(__name__)

# Packs whose index rows are looked up in one query during retention (keeps IN lists short).
_PRUNE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class PruneReport:
    deleted: int  # images deleted: indexed images of deleted packs, and old single files
    deleted_packs: int
    kept_referenced: int  # old images kept because an open case refers to them
    kept_packs: int  # old packs kept because some image in them is referenced
    freed_bytes: int


@dataclass(frozen=True, slots=True)
class _OldPack:
    name: str
    size: int


class SnapshotStore:
    def __init__(
        self,
        root: Path,
        sessions: sessionmaker[Session],
        *,
        max_pack_bytes: int,
    ) -> None:
        self._root = root
        self._packs = root / PACK_DIR
        self._sessions = sessions
        self._writer = PackWriter(self._packs, max_pack_bytes)

    @property
    def root(self) -> Path:
        return self._root

    def write(self, data: bytes) -> StoredSnapshot:
        """Append ``data`` to this process's pack without waiting for the disk.

        Call ``sync`` before committing the index rows (see ``ingest.service``) that make it
        readable. The same image written twice is appended twice; only one copy gets a row.
        """
        return self._writer.append(hashlib.sha256(data).hexdigest(), data)

    def put(self, data: bytes, now: datetime) -> str:
        """Store one image outside ingest (a photo attached to a case): written, flushed and
        indexed before it returns, so the sha256 it answers is readable at once."""
        stored = self.write(data)
        self.sync()
        row = {
            "sha256": stored.sha256,
            "pack": stored.pack,
            "offset": stored.offset,
            "length": stored.length,
            "stored_at": now,
        }
        with self._sessions.begin() as session:
            snapshot_repository.insert_index_rows(session, [row])
        return stored.sha256

    def sync(self) -> None:
        """Flush to disk every pack written since the last call (one fsync per pack)."""
        self._writer.sync()

    def close(self) -> None:
        self._writer.close()

    def read(self, content_hash: str) -> bytes | None:
        """The stored bytes, or None if there is no such snapshot (or its pack is gone)."""
        check_sha256(content_hash)
        with self._sessions() as session:
            row = snapshot_repository.find(session, content_hash)
            where = None if row is None else (row.pack, row.offset, row.length)
        if where is None:
            return read_legacy(self._root, content_hash)
        pack, offset, length = where
        data = read_span(self._packs / pack, offset, length)
        if data is not None and hashlib.sha256(data).hexdigest() != content_hash:
            log.warning("snapshot %s: bytes in pack %s do not match its hash", content_hash, pack)
            return None
        return data

    def prune(
        self, max_age_s: float, keep: Collection[str], *, now: float | None = None
    ) -> PruneReport:
        """Delete old packs none of whose images is in ``keep``, with their index rows.

        A pack is old when its last append is more than ``max_age_s`` ago. Packs of the
        current UTC hour (any process may still append to them) and this process's own pack
        are never deleted. A pack holding a kept image is kept whole.
        """
        now = time.time() if now is None else now
        cutoff = now - max_age_s
        old = list(self._old_packs(cutoff, pack_hour(now)))
        keep = set(keep)
        deleted = deleted_packs = kept = kept_packs = freed = 0
        for start in range(0, len(old), _PRUNE_CHUNK):
            chunk = old[start : start + _PRUNE_CHUNK]
            with self._sessions() as session:
                contents = snapshot_repository.hashes_by_pack(session, [p.name for p in chunk])
            doomed = []
            for pack in chunk:
                referenced = len(contents.get(pack.name, set()) & keep)
                if referenced:
                    kept += referenced
                    kept_packs += 1
                else:
                    doomed.append(pack)
            self._delete_packs(doomed)
            deleted += sum(len(contents.get(p.name, ())) for p in doomed)
            deleted_packs += len(doomed)
            freed += sum(p.size for p in doomed)
        legacy = prune_legacy(self._root, cutoff, keep)
        return PruneReport(
            deleted=deleted + legacy.deleted,
            deleted_packs=deleted_packs,
            kept_referenced=kept + legacy.kept_referenced,
            kept_packs=kept_packs,
            freed_bytes=freed + legacy.freed_bytes,
        )

    def _old_packs(self, cutoff: float, this_hour: str) -> Iterator[_OldPack]:
        current = self._writer.current_pack
        try:
            entries = list(os.scandir(self._packs))
        except FileNotFoundError:
            return
        for entry in entries:
            name = entry.name
            # Names start with their UTC hour (yyyymmddHH), so they compare as text.
            if not name.endswith(PACK_SUFFIX) or name == current or name[:10] >= this_hour:
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:  # another central process pruned it first
                continue
            if stat.st_mtime < cutoff:
                yield _OldPack(name=name, size=stat.st_size)

    def _delete_packs(self, packs: Sequence[_OldPack]) -> None:
        if not packs:
            return
        # Rows first: a crash in between leaves an unindexed pack (deleted next round), never
        # rows pointing at a missing pack.
        with self._sessions.begin() as session:
            snapshot_repository.delete_packs(session, [p.name for p in packs])
        for pack in packs:
            (self._packs / pack.name).unlink(missing_ok=True)
