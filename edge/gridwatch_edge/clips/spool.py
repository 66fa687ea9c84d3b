"""The edge's durable clip store: MP4 files in one folder, their rows in ``clips.db``.

A clip is filed (file fsynced, renamed into place, then its row committed) before anything is
sent, and leaves only when central's ``ClipAck`` says it is stored. The pending MP4s stay
within ``max_disk_bytes``: over it, the oldest clip is dropped (counted, logged) and its row
becomes a *notice*, a few bytes telling central that the clip its alert announced will never
come. The same happens to a clip past ``ttl_s``, to one central refused ``max_rejections``
times, and to one whose file vanished. Rows that left keep their metadata as an audit trail.

A clip's row is written when its event opens (``announce``, state ``recording``), before the
alert naming it is committed: a clip lost with the process (a crash, a power cut while it was
still recording) becomes a notice at the next start instead of staying "pending" at central.
At start, files without a row (a crash between writing and committing) are deleted, and rows
whose file is missing become notices: the folder and the table always agree.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gridwatch_contract.clip_messages import ClipInfo
from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.errors import EdgeError

logger = logging.getLogger(__name__)

DB_NAME = "clips.db"
CLIP_SUFFIX = ".mp4"
PART_SUFFIX = ".mp4.part"
_READ_BLOCK = 1024 * 1024
SettledStatus = Literal["stored", "duplicate", "noted"]
DropReason = Literal["overflow", "expired", "rejected", "file_lost", "interrupted"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clips (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- filing order: the oldest is sent and dropped first
    clip_id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    kind TEXT NOT NULL,                     -- clip | notice (the clip will never come)
    size_bytes INTEGER NOT NULL DEFAULT 0,  -- of the MP4 while it is on disk
    sha256 TEXT,
    info TEXT,                              -- ClipInfo as JSON
    reason TEXT,                            -- a notice's why
    created_at REAL NOT NULL,               -- unix time: the TTL holds across restarts
    next_offset INTEGER NOT NULL DEFAULT 0, -- the bytes central confirmed holding
    sends INTEGER NOT NULL DEFAULT 0,
    rejections INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',  -- recording | pending | stored | duplicate | noted
    left_at REAL
);
CREATE INDEX IF NOT EXISTS ix_clips_pending ON clips (seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS ix_clips_left ON clips (left_at) WHERE state != 'pending';
"""


class ClipSpoolError(EdgeError):
    """The clip spool cannot be opened or written."""


@dataclass(frozen=True, slots=True)
class PendingClip:
    """The oldest row waiting for central: a clip (``info`` set) or a notice (``reason``)."""

    seq: int
    clip_id: uuid.UUID
    event_id: uuid.UUID
    camera_id: str
    size_bytes: int
    sha256: str | None
    info: ClipInfo | None
    reason: str | None
    next_offset: int

    @property
    def is_notice(self) -> bool:
        return self.info is None


@dataclass(frozen=True, slots=True)
class SpoolCounts:
    """What waits now, plus totals since this process opened the spool."""

    pending_clips: int
    pending_notices: int
    pending_bytes: int
    filed: int
    settled: dict[str, int]
    dropped: dict[str, int]


class ClipSpool:
    """Thread-safe: the clip worker files, the MQTT thread settles, the sender reads."""

    def __init__(self, config: ClipsConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.folder = config.path
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._filed = 0
        self._settled: Counter[str] = Counter()
        self._dropped: Counter[str] = Counter()
        self._db = _connect(self.folder)
        self._reconcile()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def part_path(self, clip_id: uuid.UUID) -> Path:
        """Where the remuxer writes a clip before it is filed."""
        return self.folder / f"{clip_id}{PART_SUFFIX}"

    def announce(self, clip_id: uuid.UUID, event_id: uuid.UUID, camera_id: str) -> None:
        """An event opened ``clip_id``: remembered before any alert names it."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO clips (clip_id, event_id, camera_id, kind, created_at, state)"
                " VALUES (?, ?, ?, 'recording', ?, 'recording')",
                (str(clip_id), str(event_id), camera_id, self._clock()),
            )

    def file_clip(
        self, clip_id: uuid.UUID, event_id: uuid.UUID, camera_id: str, info: ClipInfo
    ) -> None:
        """Make the finished ``part_path(clip_id)`` durable and pending; may drop older clips."""
        part = self.part_path(clip_id)
        try:
            size, sha256 = _digest_and_sync(part)
            os.replace(part, self._clip_path(clip_id))
            _sync_folder(self.folder)
        except OSError as error:
            part.unlink(missing_ok=True)
            raise ClipSpoolError(f"clip {clip_id} could not be filed: {error}") from error
        with self._transaction() as db:
            db.execute(
                "INSERT INTO clips (clip_id, event_id, camera_id, kind, size_bytes, sha256, info,"
                " created_at) VALUES (?, ?, ?, 'clip', ?, ?, ?, ?) ON CONFLICT (clip_id) DO UPDATE"
                " SET kind = 'clip', size_bytes = excluded.size_bytes, sha256 = excluded.sha256,"
                " info = excluded.info, state = 'pending' WHERE state = 'recording'",
                (
                    str(clip_id),
                    str(event_id),
                    camera_id,
                    size,
                    sha256,
                    info.model_dump_json(),
                    self._clock(),
                ),
            )
            self._filed += 1
            self._enforce_bounds(db)

    def file_notice(
        self, clip_id: uuid.UUID, event_id: uuid.UUID, camera_id: str, reason: str
    ) -> None:
        """Central is to be told that ``clip_id`` will never come, and why."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO clips (clip_id, event_id, camera_id, kind, reason, created_at)"
                " VALUES (?, ?, ?, 'notice', ?, ?) ON CONFLICT (clip_id) DO UPDATE"
                " SET kind = 'notice', reason = excluded.reason, state = 'pending'"
                " WHERE state = 'recording'",
                (str(clip_id), str(event_id), camera_id, reason[:500], self._clock()),
            )
            self._enforce_bounds(db)

    def head(self) -> PendingClip | None:
        """The oldest pending row: clips go one at a time, in filing order."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, clip_id, event_id, camera_id, size_bytes, sha256, info, reason,"
                " next_offset FROM clips WHERE state = 'pending' ORDER BY seq LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        seq, clip_id, event_id, camera_id, size, sha256, info, reason, next_offset = row
        return PendingClip(
            seq=seq,
            clip_id=uuid.UUID(clip_id),
            event_id=uuid.UUID(event_id),
            camera_id=camera_id,
            size_bytes=size,
            sha256=sha256,
            info=None if info is None else ClipInfo.model_validate_json(info),
            reason=reason,
            next_offset=next_offset,
        )

    def read(self, clip: PendingClip, offset: int, length: int) -> bytes | None:
        """``length`` bytes of the clip's file at ``offset``; None (and the clip becomes a
        notice) if the file is gone or short."""
        try:
            with open(self._clip_path(clip.clip_id), "rb") as file:
                file.seek(offset)
                data = file.read(length)
        except OSError:
            data = b""
        if len(data) == min(length, clip.size_bytes - offset):
            return data
        with self._transaction() as db:
            self._to_notice(db, clip.seq, "file_lost", "the clip's file was lost on the edge")
        return None

    def sent(self, seq: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE clips SET sends = sends + 1 WHERE seq = ?", (seq,))

    def confirm(self, clip_id: uuid.UUID, next_offset: int) -> None:
        """Central holds the clip's first ``next_offset`` bytes: resume from there."""
        with self._transaction() as db:
            db.execute(
                "UPDATE clips SET next_offset = ? WHERE clip_id = ? AND state = 'pending'",
                (next_offset, str(clip_id)),
            )

    def settle(self, clip_id: uuid.UUID, status: SettledStatus) -> bool:
        """The clip (or notice) leaves with ``status``; False if it was not pending."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT seq FROM clips WHERE clip_id = ? AND state = 'pending'", (str(clip_id),)
            ).fetchone()
            if row is None:
                return False
            self._leave(db, row[0], status)
            self._settled[status] += 1
            self._prune_history(db)
        return True

    def reject(self, clip_id: uuid.UUID, reason: str) -> None:
        """Central refused the upload: start over, or give up after ``max_rejections``."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT seq, rejections, kind FROM clips WHERE clip_id = ? AND state = 'pending'",
                (str(clip_id),),
            ).fetchone()
            if row is None:
                return
            seq, rejections, kind = row
            if kind == "notice":  # a notice refused is a contract bug: retrying cannot help
                self._leave(db, seq, "rejected")
                self._dropped["rejected"] += 1
            elif rejections + 1 >= self._config.max_rejections:
                self._to_notice(db, seq, "rejected", f"central refused it: {reason}")
            else:
                db.execute(
                    "UPDATE clips SET rejections = rejections + 1, next_offset = 0 WHERE seq = ?",
                    (seq,),
                )

    def expire(self) -> None:
        """Clips past the TTL become notices."""
        with self._transaction() as db:
            self._expire(db)

    def counts(self) -> SpoolCounts:
        with self._lock:
            rows = self._db.execute(
                "SELECT kind, COUNT(*), COALESCE(SUM(size_bytes), 0) FROM clips"
                " WHERE state = 'pending' GROUP BY kind"
            ).fetchall()
        by_kind = {kind: (count, size) for kind, count, size in rows}
        clips, size = by_kind.get("clip", (0, 0))
        return SpoolCounts(
            pending_clips=clips,
            pending_notices=by_kind.get("notice", (0, 0))[0],
            pending_bytes=size,
            filed=self._filed,
            settled=dict(self._settled),
            dropped=dict(self._dropped),
        )

    def depth(self) -> int:
        counts = self.counts()
        return counts.pending_clips + counts.pending_notices

    def states(self) -> dict[uuid.UUID, tuple[str, str]]:
        """(kind, state) of every row still on disk (audit and tests)."""
        with self._lock:
            rows = self._db.execute("SELECT clip_id, kind, state FROM clips").fetchall()
        return {uuid.UUID(clip_id): (kind, state) for clip_id, kind, state in rows}

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._lock, self._db:
                yield self._db
        except sqlite3.Error as error:
            raise ClipSpoolError(f"clip spool {self.folder}: {error}") from error

    def _clip_path(self, clip_id: uuid.UUID | str) -> Path:
        return self.folder / f"{clip_id}{CLIP_SUFFIX}"

    def _enforce_bounds(self, db: sqlite3.Connection) -> None:
        self._expire(db)
        while True:
            size, oldest = db.execute(
                "SELECT COALESCE(SUM(size_bytes), 0), MIN(seq) FROM clips"
                " WHERE state = 'pending' AND kind = 'clip'"
            ).fetchone()
            if size <= self._config.max_disk_bytes or oldest is None:
                break
            self._to_notice(db, oldest, "overflow", "dropped: the edge's clip budget was full")
        (count,) = db.execute("SELECT COUNT(*) FROM clips WHERE state = 'pending'").fetchone()
        if count > self._config.max_entries:  # only notices are left to drop: the oldest go
            for (seq,) in db.execute(
                "SELECT seq FROM clips WHERE state = 'pending' ORDER BY seq LIMIT ?",
                (count - self._config.max_entries,),
            ).fetchall():
                self._leave(db, seq, "overflow")
                self._dropped["overflow"] += 1

    def _expire(self, db: sqlite3.Connection) -> None:
        cutoff = self._clock() - self._config.ttl_s
        for (seq,) in db.execute(
            "SELECT seq FROM clips WHERE state = 'pending' AND kind = 'clip' AND created_at < ?",
            (cutoff,),
        ).fetchall():
            self._to_notice(db, seq, "expired", "dropped: it waited on the edge beyond its TTL")

    def _to_notice(self, db: sqlite3.Connection, seq: int, why: DropReason, reason: str) -> None:
        clip_id, camera_id = db.execute(
            "SELECT clip_id, camera_id FROM clips WHERE seq = ?", (seq,)
        ).fetchone()
        self._clip_path(clip_id).unlink(missing_ok=True)
        db.execute(
            "UPDATE clips SET kind = 'notice', size_bytes = 0, info = NULL, reason = ?,"
            " next_offset = 0 WHERE seq = ?",
            (reason, seq),
        )
        self._dropped[why] += 1
        logger.warning(
            "clips: dropped clip %s of camera %s (%s); %d dropped for this reason so far",
            clip_id,
            camera_id,
            why,
            self._dropped[why],
        )

    def _leave(self, db: sqlite3.Connection, seq: int, state: str) -> None:
        (clip_id,) = db.execute("SELECT clip_id FROM clips WHERE seq = ?", (seq,)).fetchone()
        self._clip_path(clip_id).unlink(missing_ok=True)
        db.execute(
            "UPDATE clips SET state = ?, size_bytes = 0, left_at = ? WHERE seq = ?",
            (state, self._clock(), seq),
        )

    def _prune_history(self, db: sqlite3.Connection) -> None:
        db.execute(
            "DELETE FROM clips WHERE state NOT IN ('pending', 'recording') AND seq <= ("
            " SELECT seq FROM clips WHERE state NOT IN ('pending', 'recording')"
            " ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (self._config.history_entries,),
        )

    def _reconcile(self) -> None:
        with self._transaction() as db:
            pending = {
                clip_id: seq
                for seq, clip_id in db.execute(
                    "SELECT seq, clip_id FROM clips WHERE state = 'pending' AND kind = 'clip'"
                ).fetchall()
            }
            on_disk = set()
            for path in self.folder.iterdir():
                name = path.name
                clip_id = name.removesuffix(PART_SUFFIX).removesuffix(CLIP_SUFFIX)
                if name.endswith((PART_SUFFIX, CLIP_SUFFIX)) and clip_id not in pending:
                    path.unlink(missing_ok=True)  # never filed, or left already
                elif name.endswith(CLIP_SUFFIX):
                    on_disk.add(clip_id)
            for clip_id in pending.keys() - on_disk:
                self._to_notice(db, pending[clip_id], "file_lost", "the clip's file was lost")
            interrupted = db.execute(
                "UPDATE clips SET kind = 'notice', state = 'pending',"
                " reason = 'the edge stopped while recording it' WHERE state = 'recording'"
            ).rowcount
            if interrupted:
                self._dropped["interrupted"] += interrupted
                logger.warning("clip spool: %d clips were cut short by a restart", interrupted)
            (waiting,) = db.execute("SELECT COUNT(*) FROM clips WHERE state = 'pending'").fetchone()
        if waiting:
            logger.info(
                "clip spool %s: %d clips from a previous run will be sent", self.folder, waiting
            )


def _connect(folder: Path) -> sqlite3.Connection:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(folder / DB_NAME, check_same_thread=False, isolation_level="DEFERRED")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")  # a filed clip survives a power cut
        db.executescript(_SCHEMA)
    except (OSError, sqlite3.Error) as error:
        raise ClipSpoolError(f"cannot open the clip spool {folder}: {error}") from None
    return db


def _digest_and_sync(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb+") as file:
        while block := file.read(_READ_BLOCK):
            digest.update(block)
            size += len(block)
        os.fsync(file.fileno())
    return size, digest.hexdigest()


def _sync_folder(folder: Path) -> None:
    """The rename survives a power cut only once the folder itself is flushed."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
