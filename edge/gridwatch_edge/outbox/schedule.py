"""When to (re)send a pending alert: in-memory bookkeeping of what is in flight.

Nothing here needs to survive a restart: after a start or a reconnect every pending alert is
sent again (the broker may have lost it; central deduplicates by ``alert_id``). The clock is
injected so that the timing rules are tested without sleeping.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from gridwatch_edge.outbox.store import PendingEntry


@dataclass(frozen=True, slots=True)
class ResendPolicy:
    ack_timeout_s: float
    max_resend_interval_s: float

    def wait_after(self, sends: int) -> float:
        """How long to wait for the ack after the ``sends``-th publish in this connection."""
        return min(self.ack_timeout_s * 2.0 ** (sends - 1), self.max_resend_interval_s)


@dataclass(slots=True)
class _InFlight:
    sent_at: float
    sends: int


class ResendSchedule:
    """Which pending alerts are due for a publish now (thread-safe)."""

    def __init__(self, policy: ResendPolicy, *, clock: Callable[[], float] = time.monotonic):
        self._policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight: dict[uuid.UUID, _InFlight] = {}
        self.resends = 0  # publishes of an alert already published by this process

    def due(self, heads: Iterable[PendingEntry]) -> list[PendingEntry]:
        """The entries of ``heads`` never sent on this connection or whose ack is overdue.

        ``heads`` is everything that may be in flight now, so alerts missing from it (acked,
        or dropped by a bound) are forgotten here.
        """
        heads = list(heads)
        now = self._clock()
        due = []
        with self._lock:
            current = {entry.alert_id for entry in heads}
            for alert_id in self._in_flight.keys() - current:
                del self._in_flight[alert_id]
            for entry in heads:
                flight = self._in_flight.get(entry.alert_id)
                if flight is None or now - flight.sent_at >= self._policy.wait_after(flight.sends):
                    due.append(entry)
        return due

    def sent(self, entry: PendingEntry) -> None:
        with self._lock:
            flight = self._in_flight.get(entry.alert_id)
            if flight is None:
                self._in_flight[entry.alert_id] = _InFlight(self._clock(), 1)
            else:
                flight.sent_at, flight.sends = self._clock(), flight.sends + 1
                self.resends += 1

    def acked(self, alert_id: uuid.UUID) -> None:
        with self._lock:
            self._in_flight.pop(alert_id, None)

    def reconnected(self) -> None:
        """Everything in flight is due again: the old connection's messages may be lost.

        The send counts are kept so that back-off and the resend figure carry on.
        """
        with self._lock:
            for flight in self._in_flight.values():
                flight.sent_at = float("-inf")

    def next_due_in(self) -> float | None:
        """Seconds until the earliest ack deadline, or None when nothing is in flight."""
        now = self._clock()
        with self._lock:
            deadlines = [
                flight.sent_at + self._policy.wait_after(flight.sends)
                for flight in self._in_flight.values()
            ]
        return max(0.0, min(deadlines) - now) if deadlines else None
