"""What ingest holds right now: deliveries not yet acknowledged, and any outage it waits out.

The consumer registers every delivery as it arrives and settles it when the broker ack goes
out; a stage that waits for the database or the snapshot disk says so while it waits. Health,
readiness and the Prometheus gauges read it, so a stalled ingest shows: the oldest unacked
delivery grows old while nothing is acknowledged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProgressSnapshot:
    unacked: int
    oldest_unacked_age_s: float | None
    outage: bool
    outage_for_s: float | None
    outage_reason: str | None
    last_commit_age_s: float | None


class IngestProgress:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # Token -> arrival time. Tokens only grow and are only removed, so the first one in
        # the dict (insertion order) is always the oldest.
        self._unacked: dict[int, float] = {}
        self._next_token = 0
        self._holding: dict[str, tuple[float, str]] = {}  # stage -> (since, reason)
        self._last_commit: float | None = None

    def received(self) -> int:
        """A delivery arrived; returns the token that ``settled`` takes."""
        with self._lock:
            token = self._next_token
            self._next_token += 1
            self._unacked[token] = self._clock()
            return token

    def settled(self, token: int) -> None:
        """Acknowledged, or given back to the broker (not acked, on stop)."""
        with self._lock:
            self._unacked.pop(token, None)

    def forget_all(self) -> None:
        """The consumer stopped: whatever it held the broker delivers again, elsewhere."""
        with self._lock:
            self._unacked.clear()
            self._holding.clear()

    def hold(self, stage: str, reason: str) -> bool:
        """``stage`` waits out an outage; True if it was not waiting already."""
        with self._lock:
            if stage in self._holding:
                self._holding[stage] = (self._holding[stage][0], reason)
                return False
            self._holding[stage] = (self._clock(), reason)
            return True

    def release(self, stage: str) -> bool:
        """``stage`` works again; True if it had been waiting."""
        with self._lock:
            return self._holding.pop(stage, None) is not None

    def committed(self) -> None:
        with self._lock:
            self._last_commit = self._clock()

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            now = self._clock()
            oldest = next(iter(self._unacked.values()), None)
            since = min((since for since, _ in self._holding.values()), default=None)
            reasons = "; ".join(f"{stage}: {why}" for stage, (_, why) in self._holding.items())
            return ProgressSnapshot(
                unacked=len(self._unacked),
                oldest_unacked_age_s=None if oldest is None else now - oldest,
                outage=bool(self._holding),
                outage_for_s=None if since is None else now - since,
                outage_reason=reasons or None,
                last_commit_age_s=None if self._last_commit is None else now - self._last_commit,
            )
