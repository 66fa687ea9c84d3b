"""The alert lifecycle every rule shares: ``new`` → ``update``… → ``end``, with hysteresis.

A rule decides, per analysed frame, whether its condition is *raised* (e.g. ≥ N persons) and
whether it is *cleared* (e.g. < N - h persons); both may be false in between (count
hysteresis). This helper turns that into lifecycle steps on the media clock:

- idle: ``new`` once the condition has been raised for ``min_duration_s`` and the cooldown
  after the previous event has passed;
- active: ``update`` at most every ``update_interval_s`` while raised; ``end`` once cleared
  for ``end_after_s`` (time hysteresis);
- after ``end``: no ``new`` for ``cooldown_s``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from gridwatch_contract.camera.rules import LifecycleConfig
from gridwatch_contract.messages import AlertState

# Media times are frame index / fps; 4.8 - 3.8 is 0.99999... in floating point, so durations
# are compared with this slack to make "1 s" mean 1 s whatever the frame numbers.
TIME_SLACK_S = 1e-6


@dataclass(slots=True)
class ActiveEvent:
    event_id: uuid.UUID
    started_at: datetime  # wall clock when the condition was first raised
    started_s: float  # media time of the same moment
    sequence: int = 0
    last_emitted_s: float = 0.0
    cleared_since_s: float | None = None


@dataclass(frozen=True, slots=True)
class Step:
    state: AlertState
    event: ActiveEvent


class Lifecycle:
    def __init__(self, config: LifecycleConfig) -> None:
        self._config = config
        self._raised_since: tuple[float, datetime] | None = None
        self._active: ActiveEvent | None = None
        self._ended_at_s: float | None = None

    @property
    def active(self) -> ActiveEvent | None:
        return self._active

    def raised_for_s(self, now_s: float) -> float:
        """How long the condition has been raised without a pause (0 when it is not)."""
        return 0.0 if self._raised_since is None else now_s - self._raised_since[0]

    def step(
        self, now_s: float, captured_at: datetime, *, raised: bool, cleared: bool | None = None
    ) -> Step | None:
        """Feed one frame's condition; ``cleared`` defaults to ``not raised``."""
        cleared = (not raised) if cleared is None else cleared
        if raised:
            if self._raised_since is None:
                self._raised_since = (now_s, captured_at)
        else:
            self._raised_since = None
        if self._active is None:
            return self._maybe_start(now_s)
        return self._continue(now_s, self._active, raised=raised, cleared=cleared)

    def _maybe_start(self, now_s: float) -> Step | None:
        if self._raised_since is None:
            return None
        since_s, since_at = self._raised_since
        if now_s - since_s + TIME_SLACK_S < self._config.min_duration_s:
            return None
        if self._ended_at_s is not None and (
            now_s - self._ended_at_s + TIME_SLACK_S < self._config.cooldown_s
        ):
            return None
        self._active = ActiveEvent(uuid.uuid4(), since_at, since_s, last_emitted_s=now_s)
        return Step(AlertState.NEW, self._active)

    def _continue(
        self, now_s: float, active: ActiveEvent, *, raised: bool, cleared: bool
    ) -> Step | None:
        if not cleared:
            active.cleared_since_s = None
            if not raised:
                return None
            if now_s - active.last_emitted_s + TIME_SLACK_S < self._config.update_interval_s:
                return None
            return self._emit(AlertState.UPDATE, now_s, active)
        if active.cleared_since_s is None:
            active.cleared_since_s = now_s
        if now_s - active.cleared_since_s + TIME_SLACK_S < self._config.end_after_s:
            return None
        self._active = None
        self._ended_at_s = now_s
        return self._emit(AlertState.END, now_s, active)

    def open_now(self, now_s: float, captured_at: datetime) -> Step | None:
        """Open an event at once, whatever the condition (a report such as final counts at
        the end of a file); None when one is already open."""
        if self._active is not None:
            return None
        self._active = ActiveEvent(uuid.uuid4(), captured_at, now_s, last_emitted_s=now_s)
        return Step(AlertState.NEW, self._active)

    def end_now(self, now_s: float) -> Step:
        """End the open event at once (end of file, shutdown); ``open_now`` first if none."""
        active = self._active
        if active is None:
            raise RuntimeError("no open event to end")
        self._active, self._raised_since, self._ended_at_s = None, None, now_s
        return self._emit(AlertState.END, now_s, active)

    @staticmethod
    def _emit(state: AlertState, now_s: float, active: ActiveEvent) -> Step:
        active.sequence += 1
        active.last_emitted_s = now_s
        return Step(state, active)
