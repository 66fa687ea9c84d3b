"""The requests central waits on: bounded, found by id, each resolved exactly once.

Every request is a ``concurrent.futures.Future`` that its answer, its deadline, its edge going
offline or the client stopping resolves, whichever comes first: an entry leaves the table
under the lock, so only the one that took it resolves it. One expiry thread sleeps until the
earliest deadline (a heap), so thousands of waiting requests cost no thread each, and an
``async`` caller can await the future without holding a thread either.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from gridwatch_central.edge_requests.results import SnapshotResult

log = logging.getLogger(__name__)

# How long stop() waits for the expiry thread.
STOP_TIMEOUT_S = 5.0


@dataclass(eq=False, slots=True)
class PendingRequest:
    request_id: uuid.UUID
    edge_id: str
    camera_id: str
    deadline: float  # time.monotonic()
    sent_at: float = field(default_factory=time.monotonic)
    future: Future[SnapshotResult] = field(default_factory=Future)

    def __post_init__(self) -> None:
        # Running futures cannot be cancelled: an awaiting caller that goes away (an HTTP
        # client hanging up) must not cancel it under the resolver, which would then fail.
        self.future.set_running_or_notify_cancel()


class PendingTable:
    def __init__(self, capacity: int, on_expired: Callable[[PendingRequest], None]) -> None:
        self._capacity = capacity
        self._on_expired = on_expired
        self._entries: dict[uuid.UUID, PendingRequest] = {}
        self._deadlines: list[tuple[float, int, uuid.UUID]] = []
        self._order = itertools.count()  # ties in the heap never compare ids
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._expire_loop, name="edge-requests-expiry")

    def start(self) -> None:
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> list[PendingRequest]:
        """Stop the expiry thread; the requests still waiting, for the caller to resolve."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread.is_alive():
            self._thread.join(STOP_TIMEOUT_S)
        return self.take_all()

    def __len__(self) -> int:
        with self._condition:
            return len(self._entries)

    def add(self, entry: PendingRequest) -> bool:
        """Track ``entry``; False if ``capacity`` requests are already waiting."""
        with self._condition:
            if len(self._entries) >= self._capacity:
                return False
            self._entries[entry.request_id] = entry
            heapq.heappush(self._deadlines, (entry.deadline, next(self._order), entry.request_id))
            if self._deadlines[0][2] == entry.request_id:  # a new earliest deadline
                self._condition.notify_all()
            return True

    def take(self, request_id: uuid.UUID, edge_id: str) -> PendingRequest | None:
        """The waiting request with this id asked of ``edge_id``, now removed; else None."""
        with self._condition:
            entry = self._entries.get(request_id)
            if entry is None or entry.edge_id != edge_id:
                return None
            return self._entries.pop(request_id)

    def take_edge(self, edge_id: str) -> list[PendingRequest]:
        """Every waiting request asked of ``edge_id``, now removed."""
        with self._condition:
            ids = [rid for rid, entry in self._entries.items() if entry.edge_id == edge_id]
            return [self._entries.pop(rid) for rid in ids]

    def take_all(self) -> list[PendingRequest]:
        with self._condition:
            entries = list(self._entries.values())
            self._entries.clear()
            self._deadlines.clear()
            return entries

    def _expire_loop(self) -> None:
        while True:
            with self._condition:
                if self._stopping:
                    return
                self._condition.wait(self._sleep_s())
                expired = self._take_expired(time.monotonic())
            for entry in expired:  # resolved outside the lock: callbacks may run here
                try:
                    self._on_expired(entry)
                except Exception:  # one failing callback must not end expiry for all
                    log.exception("resolving expired request %s failed", entry.request_id)

    def _sleep_s(self) -> float | None:
        if not self._deadlines:
            return None
        return max(self._deadlines[0][0] - time.monotonic(), 0.0)

    def _take_expired(self, now: float) -> list[PendingRequest]:
        expired = []
        while self._deadlines and self._deadlines[0][0] <= now:
            _deadline, _order, request_id = heapq.heappop(self._deadlines)
            entry = self._entries.pop(request_id, None)
            if entry is not None:  # answered ones left the table already
                expired.append(entry)
        return expired
