"""What a camera's reader reports: rates, counters and one word for the connection quality."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

# Rates are averaged over the last 10 s: long enough to smooth a 2 fps analysis rate and
# keyframe bursts, short enough that a stalling camera shows within one stats interval.
RATE_WINDOW_S = 10.0
RECONNECT_WINDOW_S = 3600.0
# Below 75 % of the camera's nominal frame rate the stream is losing frames (network or
# camera overload) even though it is still connected.
DEGRADED_FPS_SHARE = 0.75


class ConnectionQuality(StrEnum):
    GOOD = "good"
    DEGRADED = "degraded"  # connected but reconnected this hour or losing frames
    OFFLINE = "offline"


class RateMeter:
    """Events per second over a sliding window; thread-safe, cheap enough per frame."""

    def __init__(self, window_s: float = RATE_WINDOW_S) -> None:
        self._window_s = window_s
        self._marks: deque[tuple[float, int]] = deque()
        self._count = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return self._count

    def add(self, events: int = 1, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._count += events
            self._marks.append((now, self._count))
            self._trim(now)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            if not self._marks:
                return 0.0
            first_time, first_count = self._marks[0]
            # Dividing by the time up to now (not to the last mark) makes a stopped stream
            # decay to 0 instead of keeping its last rate.
            return (self._count - first_count) / max(now - first_time, 1e-3)

    def _trim(self, now: float) -> None:
        while self._marks and self._marks[0][0] < now - self._window_s:
            self._marks.popleft()


class EventTimes:
    """How many events happened within the last ``window_s`` (e.g. reconnects per hour)."""

    def __init__(self, window_s: float = RECONNECT_WINDOW_S) -> None:
        self._window_s = window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self.total = 0

    def add(self, now: float | None = None) -> None:
        with self._lock:
            self._times.append(time.monotonic() if now is None else now)
            self.total += 1

    def recent(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._times and self._times[0] < now - self._window_s:
                self._times.popleft()
            return len(self._times)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    online: bool
    quality: ConnectionQuality
    input_fps: float
    frames_read: int  # every frame grabbed from the stream
    frames_delivered: int  # frames handed to the pipeline
    frames_dropped_stale: int  # retrieved but replaced by a newer one before analysis
    reconnects_last_hour: int
    reconnects_total: int
    last_frame_age_s: float | None
    # Why the stream was last lost or could not be opened, and how long ago; None if never.
    last_error: str | None = None
    last_error_age_s: float | None = None


def judge_quality(
    *,
    online: bool,
    last_frame_age_s: float | None,
    stall_timeout_s: float,
    input_fps: float,
    nominal_fps: float,
    live: bool,
    reconnects_last_hour: int,
) -> ConnectionQuality:
    if not online or last_frame_age_s is None or last_frame_age_s > stall_timeout_s:
        return ConnectionQuality.OFFLINE
    losing_frames = live and input_fps < DEGRADED_FPS_SHARE * nominal_fps
    if reconnects_last_hour > 0 or losing_frames:
        return ConnectionQuality.DEGRADED
    return ConnectionQuality.GOOD
