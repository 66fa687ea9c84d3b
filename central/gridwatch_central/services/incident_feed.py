"""Incident changes as a live feed: what the console's alert queue receives over SSE.

Every central process polls the incident timeline for entries newer than the last it saw and
hands each to the subscribers whose scope covers the incident. Polling the database (not an
in-process event) is what makes it work with several central processes: an alert ingested by
one process reaches a console connected to another. One small indexed query per interval per
process, and only while someone is subscribed.

Entry ids are assigned at insert, but PostgreSQL transactions commit in any order: an entry
with a lower id can become visible after a higher one was seen. The poller therefore keeps a
missing id open for ``GAP_WAIT_S`` (a rolled-back insert leaves a gap for ever) and reads again
from the oldest open gap, dropping what it delivered already.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db.incident_repository import IncidentChange

log = logging.getLogger(__name__)

# Entries read per poll; more waiting are read at the next poll, without waiting the interval.
BATCH = 500
# How long an id missing between seen ones may still show up: a transaction that inserted it
# and has not committed yet. Ingest commits a batch within a second; 5 s is generous.
GAP_WAIT_S = 5.0
# Changes buffered for one slow subscriber; past that it is told to reload (never blocks).
SUBSCRIBER_BUFFER = 1000


def visible(change: IncidentChange, scope: Scope) -> bool:
    """Incidents are scoped by grid only (they have no department before their case)."""
    return scope.covers_grid(*change.grid_codes)


@dataclass(eq=False)
class Subscription:
    """One connected console: its scope and the queue the poller fills from its thread."""

    scope: Scope
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[IncidentChange | None] = field(
        default_factory=lambda: asyncio.Queue(SUBSCRIBER_BUFFER)
    )
    overflowed: bool = False

    def offer(self, change: IncidentChange | None) -> None:
        """Called on the event loop: queue the change, or mark the subscriber as behind."""
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True


class FeedCursor:
    """Where the poller stands: the highest id seen and the ids still missing below it.

    Every id up to ``high`` was either delivered or is an open gap, so a re-read from below
    the oldest gap delivers exactly the gaps that filled in and what is above ``high``.
    """

    def __init__(self, start: int, clock: Callable[[], float]) -> None:
        self.high = start
        self._clock = clock
        self._gaps: dict[int, float] = {}  # missing id → when it was first missed

    @property
    def low(self) -> int:
        """Read from here: below the oldest open gap, else the highest id seen."""
        return min(self._gaps) - 1 if self._gaps else self.high

    def accept(self, changes: list[IncidentChange]) -> list[IncidentChange]:
        """The changes not delivered yet, in order; updates the gaps."""
        now = self._clock()
        fresh = []
        for change in changes:
            if change.seq in self._gaps:
                del self._gaps[change.seq]
            elif change.seq <= self.high:
                continue
            else:
                for missing in range(self.high + 1, change.seq):
                    self._gaps[missing] = now
                self.high = change.seq
            fresh.append(change)
        self._gaps = {seq: at for seq, at in self._gaps.items() if now - at < GAP_WAIT_S}
        return fresh


class IncidentFeed:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._delivered = 0

    def position(self) -> int:
        """The newest change now: a page rendered now shows everything up to here."""
        with self._sessions() as session:
            return incidents.last_incident_change(session)

    def changes_since(self, after_seq: int, scope: Scope) -> list[IncidentChange]:
        """What a reconnecting console missed (SSE ``Last-Event-ID``), within its scope."""
        with self._sessions() as session:
            changes = incidents.incident_changes(session, after_seq, BATCH)
        return [change for change in changes if visible(change, scope)]

    def subscribe(self, scope: Scope) -> Subscription:
        """Call on the subscriber's event loop; the poller starts with the first subscriber."""
        subscription = Subscription(scope=scope, loop=asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(subscription)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="incident-feed", daemon=True)
                self._thread.start()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)
        self._wake.set()

    @property
    def delivered(self) -> int:
        """Every change up to this id has been handed to the subscribers' event loops."""
        return self._delivered

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def _run(self) -> None:
        """Poll while anyone listens; the thread ends with the last subscriber."""
        cursor: FeedCursor | None = None
        while True:
            with self._lock:
                if not self._subscribers:
                    self._thread = None
                    return
                subscribers = list(self._subscribers)
            try:
                if cursor is None:
                    cursor = FeedCursor(self.position(), self._clock)
                with self._sessions() as session:
                    changes = incidents.incident_changes(session, cursor.low, BATCH)
            except SQLAlchemyError as error:  # the database is away: keep trying, quietly
                log.warning("incident feed: %s", error)
                changes = []
            if cursor is not None:
                self._deliver(cursor.accept(changes), subscribers)
                self._delivered = cursor.low
            if len(changes) < BATCH:
                self._wake.wait(self._interval_s)
                self._wake.clear()

    @staticmethod
    def _deliver(changes: list[IncidentChange], subscribers: list[Subscription]) -> None:
        for subscription in subscribers:
            for change in changes:
                if visible(change, subscription.scope):
                    try:
                        subscription.loop.call_soon_threadsafe(subscription.offer, change)
                    except RuntimeError:  # its event loop is closed: it is going away
                        break
