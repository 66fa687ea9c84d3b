"""The durable outbox: one SQLite table of alerts waiting for central's acknowledgement.

Every alert is committed here before it is published, and leaves the pending state only when
central's ``AlertAck`` arrives (or a bound drops it, counted and logged). WAL with
``synchronous=FULL`` makes each commit survive a ``kill -9`` and a power cut; alerts are rare
enough (a few per camera per minute) that one fsync each costs nothing.

Rows that left keep their metadata (without payload) as a bounded audit trail: the ``state``
says how each alert left the box.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from gridwatch_edge.config import OutboxConfig
from gridwatch_edge.errors import EdgeError

logger = logging.getLogger(__name__)

PENDING: Final = "pending"
AckStatus = Literal["stored", "duplicate", "rejected"]
DropReason = Literal["expired", "overflow", "too_large", "unwritable"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- enqueue order; FIFO per camera follows it
    alert_id TEXT NOT NULL UNIQUE,
    camera_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB,                           -- NULL once the alert left
    size_bytes INTEGER NOT NULL,
    created_at REAL NOT NULL,               -- unix time: TTL holds across restarts
    attempts INTEGER NOT NULL DEFAULT 0,    -- publishes, over every run of the edge
    state TEXT NOT NULL DEFAULT 'pending',  -- pending | stored | duplicate | rejected | expired
                                            -- | overflow
    left_at REAL
);
CREATE INDEX IF NOT EXISTS ix_outbox_pending ON outbox (camera_id, seq) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS ix_outbox_left ON outbox (left_at) WHERE state != 'pending';
"""


class OutboxError(EdgeError):
    """The outbox file cannot be opened or is not an outbox."""


@dataclass(frozen=True, slots=True)
class OutboxLimits:
    max_entries: int
    max_bytes: int
    ttl_s: float
    history_entries: int


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """A pending alert, without its payload (``payload()`` reads it when it is sent)."""

    seq: int
    alert_id: uuid.UUID
    camera_id: str
    topic: str
    size_bytes: int
    attempts: int


@dataclass(frozen=True, slots=True)
class HistoryRow:
    seq: int
    alert_id: uuid.UUID
    camera_id: str
    state: str
    attempts: int


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """Totals since this process opened the outbox, plus what is pending now."""

    pending: int
    pending_bytes: int
    enqueued: int
    acked: dict[str, int]  # by ack status
    dropped: dict[str, int]  # by drop reason


class OutboxStore:
    """Thread-safe: camera threads add, the MQTT thread acks, the sender reads."""

    def __init__(
        self, path: Path, limits: OutboxLimits, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self._limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._enqueued = 0
        self._acked: Counter[str] = Counter()
        self._dropped: Counter[str] = Counter()
        self._db = _connect(path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, alert_id: uuid.UUID, camera_id: str, topic: str, payload: bytes) -> int:
        """Commit one alert; returns its sequence number. May drop older ones to stay bounded."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO outbox (alert_id, camera_id, topic, payload, size_bytes, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (str(alert_id), camera_id, topic, payload, len(payload), self._clock()),
            )
            seq = cursor.lastrowid
            self._enqueued += 1
            self._expire(db)
            self._enforce_bounds(db)
            self._prune_history(db)
        assert seq is not None  # an INSERT always sets it
        return seq

    def ack(self, alert_id: uuid.UUID, status: AckStatus) -> bool:
        """The alert leaves with ``status``; False if it was not pending (a repeated ack)."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT seq FROM outbox WHERE alert_id = ? AND state = 'pending'", (str(alert_id),)
            ).fetchone()
            if row is None:
                return False
            self._leave(db, row[0], status)
            self._acked[status] += 1
            self._prune_history(db)
        return True

    def record_attempt(self, seq: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", (seq,))

    def expire(self) -> int:
        """Drop pending alerts older than the TTL; returns how many."""
        with self._transaction() as db:
            return self._expire(db)

    def heads(self, per_camera: int) -> list[PendingEntry]:
        """The first ``per_camera`` pending alerts of each camera, in enqueue order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, alert_id, camera_id, topic, size_bytes, attempts FROM ("
                "  SELECT *, ROW_NUMBER() OVER (PARTITION BY camera_id ORDER BY seq) AS rank"
                "  FROM outbox WHERE state = 'pending'"
                ") WHERE rank <= ? ORDER BY seq",
                (per_camera,),
            ).fetchall()
        return [
            PendingEntry(seq, uuid.UUID(alert_id), camera, topic, size, attempts)
            for seq, alert_id, camera, topic, size, attempts in rows
        ]

    def payload(self, seq: int) -> bytes | None:
        """The encoded alert, or None if it left meanwhile."""
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM outbox WHERE seq = ? AND state = 'pending'", (seq,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def depth(self) -> int:
        """Pending alerts: the figure for the outbox-depth gauge."""
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
            ).fetchone()
        return int(count)

    def counts(self) -> OutboxCounts:
        with self._lock:
            count, size = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM outbox WHERE state = 'pending'"
            ).fetchone()
            return OutboxCounts(
                pending=int(count),
                pending_bytes=int(size),
                enqueued=self._enqueued,
                acked=dict(self._acked),
                dropped=dict(self._dropped),
            )

    def count_dropped(self, reason: DropReason) -> None:
        """Count an alert refused before it entered (the publisher's size guard)."""
        with self._lock:
            self._dropped[reason] += 1

    def history(self) -> list[HistoryRow]:
        """Every row still on disk, pending or left, in enqueue order (audit and tests)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, alert_id, camera_id, state, attempts FROM outbox ORDER BY seq"
            ).fetchall()
        return [HistoryRow(s, uuid.UUID(a), c, state, n) for s, a, c, state, n in rows]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._lock, self._db:  # commits, or rolls back on an exception
                yield self._db
        except sqlite3.Error as error:  # disk full, I/O error: the caller decides what to do
            raise OutboxError(f"outbox {self.path}: {error}") from error

    def _leave(self, db: sqlite3.Connection, seq: int, state: str) -> None:
        db.execute(
            "UPDATE outbox SET state = ?, payload = NULL, left_at = ? WHERE seq = ?",
            (state, self._clock(), seq),
        )

    def _expire(self, db: sqlite3.Connection) -> int:
        cutoff = self._clock() - self._limits.ttl_s
        expired = db.execute(
            "SELECT seq, alert_id, camera_id FROM outbox WHERE state = 'pending'"
            " AND created_at < ? ORDER BY seq",
            (cutoff,),
        ).fetchall()
        for seq, alert_id, camera_id in expired:
            self._drop(db, seq, alert_id, camera_id, "expired")
        return len(expired)

    def _enforce_bounds(self, db: sqlite3.Connection) -> None:
        """Drop the oldest alert of the camera with the most pending until within bounds.

        Taking from the busiest camera keeps one chatty camera from evicting the rare alerts
        of the quiet ones; within that camera the oldest goes first.
        """
        while True:
            count, size = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM outbox WHERE state = 'pending'"
            ).fetchone()
            if count <= self._limits.max_entries and size <= self._limits.max_bytes:
                return
            seq, alert_id, camera_id = db.execute(
                "SELECT seq, alert_id, camera_id FROM outbox WHERE state = 'pending' AND"
                " camera_id = (SELECT camera_id FROM outbox WHERE state = 'pending'"
                "  GROUP BY camera_id ORDER BY COUNT(*) DESC, MIN(seq) LIMIT 1)"
                " ORDER BY seq LIMIT 1"
            ).fetchone()
            self._drop(db, seq, alert_id, camera_id, "overflow")

    def _drop(
        self, db: sqlite3.Connection, seq: int, alert_id: str, camera_id: str, reason: DropReason
    ) -> None:
        self._leave(db, seq, reason)
        self._dropped[reason] += 1
        logger.warning(
            "outbox: dropped alert %s of camera %s (%s); %d dropped for this reason so far",
            alert_id,
            camera_id,
            reason,
            self._dropped[reason],
        )

    def _prune_history(self, db: sqlite3.Connection) -> None:
        """Keep only the newest ``history_entries`` rows that left."""
        db.execute(
            "DELETE FROM outbox WHERE state != 'pending' AND seq <= ("
            " SELECT seq FROM outbox WHERE state != 'pending' ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (self._limits.history_entries,),
        )


def open_outbox(config: OutboxConfig) -> OutboxStore:
    """The outbox file named by ``config``, created if missing; raises ``OutboxError``."""
    limits = OutboxLimits(
        max_entries=config.max_entries,
        max_bytes=config.max_bytes,
        ttl_s=config.ttl_s,
        history_entries=config.history_entries,
    )
    return OutboxStore(config.path, limits)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level="DEFERRED")
        db.execute("PRAGMA journal_mode = WAL")
        # FULL: fsync the WAL at every commit, so a committed alert survives a power cut too.
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(_SCHEMA)
    except (OSError, sqlite3.Error) as error:
        raise OutboxError(f"cannot open the outbox {path}: {error}") from None
    pending = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    if pending:
        logger.info("outbox %s: %d alerts from a previous run will be sent", path, pending)
    return db
