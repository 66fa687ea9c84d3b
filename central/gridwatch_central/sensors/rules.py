"""The rules of one sensor, in memory: records in, alert lifecycle messages out.

A sensor is ``normal``, ``pending`` (its value is past the alarm level, not yet for the
debounce time) or in ``alarm`` (an event is open). An event opens on the device's own alarm,
or on a value past the alarm level for ``debounce_s``; it ends on the device's clearance (once
the value, if any, is safe too), or on a value past the clear level for ``clear_debounce_s``.
Between the alarm and clear levels nothing changes: that band is the hysteresis that damps
flapping. While open, an event gets an ``update`` at most every ``update_interval_s``.

Times are the device's (``observed_at``), so a trace gives the same events however fast it is
played or however the records are batched; a record not newer than the last one handled is
stale (a resend, or overtaken) and changes nothing. The state is a plain value that ingest
loads from and writes back to ``sensor_states`` under a row lock, so every central process
and every restart continues where the last one left off.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from gridwatch_central.sensors.types import SensorType, Threshold
from gridwatch_contract.sensors import SensorRecord, SensorRecordKind

DEVICE_RULE = "device_alarm"
THRESHOLD_RULE = "threshold"


class Phase(StrEnum):
    NORMAL = "normal"
    PENDING = "pending"
    ALARM = "alarm"


@dataclass(slots=True)
class RuleState:
    """One row of ``sensor_states`` (same names), changed in place by ``SensorRules``."""

    sensor_id: str
    last_seen_at: datetime
    phase: str = Phase.NORMAL.value
    since: datetime | None = None
    event_id: uuid.UUID | None = None
    event_sequence: int = 0
    event_started_at: datetime | None = None
    event_updated_at: datetime | None = None
    device_alarm: bool = False
    last_value: float | None = None
    last_observed_at: datetime | None = None
    last_sample_at: datetime | None = None
    offline: bool = False

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> RuleState:
        return cls(**row)

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Emitted:
    """One lifecycle message of a sensor event, to become an alert."""

    event_id: uuid.UUID
    sequence: int
    state: Literal["new", "update", "end"]
    started_at: datetime
    updated_at: datetime
    rule_id: str
    value: float | None
    code: str | None


@dataclass(frozen=True, slots=True)
class Applied:
    emitted: list[Emitted] = field(default_factory=list)
    sample: bool = False  # keep this reading in sensor_samples
    stale: bool = False


class SensorRules:
    """The rules of one sensor type (with the sensor's own threshold, if it overrides it)."""

    def __init__(
        self,
        kind: SensorType,
        threshold: Threshold | None,
        new_event_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> None:
        self._kind = kind
        self._threshold = threshold
        self._update_every = timedelta(seconds=kind.update_interval_s)
        self._sample_every = timedelta(seconds=kind.sample_interval_s)
        self._new_event_id = new_event_id

    def apply(self, state: RuleState, record: SensorRecord) -> Applied:
        at = record.observed_at
        if state.last_observed_at is not None and at <= state.last_observed_at:
            return Applied(stale=True)
        state.last_observed_at = at
        if record.kind is SensorRecordKind.ALARM:
            return Applied(self._device_alarm(state, record))
        if record.kind is SensorRecordKind.CLEARANCE:
            return Applied(self._device_clearance(state, record))
        if record.kind is SensorRecordKind.READING and record.value is not None:
            return self._reading(state, record, record.value)
        return Applied()

    def _device_alarm(self, state: RuleState, record: SensorRecord) -> list[Emitted]:
        state.device_alarm = True
        if state.phase != Phase.ALARM:
            return [self._open(state, record.observed_at, DEVICE_RULE, record)]
        return [self._next(state, "update", record.observed_at, DEVICE_RULE, record)]

    def _device_clearance(self, state: RuleState, record: SensorRecord) -> list[Emitted]:
        state.device_alarm = False
        if state.phase != Phase.ALARM:
            return []
        value = state.last_value
        threshold = self._threshold
        if threshold is not None and value is not None and not threshold.past_clear(value):
            state.since = None  # the value still alarms: the event stays open on it
            return []
        return [self._end(state, record.observed_at, DEVICE_RULE, record)]

    def _reading(self, state: RuleState, record: SensorRecord, value: float) -> Applied:
        at = record.observed_at
        state.last_value = value
        before = state.phase
        emitted = self._threshold_rules(state, record, value)
        if state.phase == Phase.ALARM and not emitted:
            emitted = self._periodic_update(state, record)
        due = state.last_sample_at is None or at - state.last_sample_at >= self._sample_every
        sample = due or state.phase != before or bool(emitted)
        if sample:
            state.last_sample_at = at
        return Applied(emitted, sample=sample)

    def _threshold_rules(
        self, state: RuleState, record: SensorRecord, value: float
    ) -> list[Emitted]:
        threshold, at = self._threshold, record.observed_at
        if threshold is None:
            return []
        if state.phase == Phase.ALARM:
            return self._clearing(state, record, threshold, value)
        if not threshold.past_alarm(value):
            state.phase, state.since = Phase.NORMAL.value, None
            return []
        state.since = state.since if state.phase == Phase.PENDING else at
        state.phase = Phase.PENDING.value
        if (at - (state.since or at)).total_seconds() >= threshold.debounce_s:
            return [self._open(state, state.since or at, THRESHOLD_RULE, record, now=at)]
        return []

    def _clearing(
        self, state: RuleState, record: SensorRecord, threshold: Threshold, value: float
    ) -> list[Emitted]:
        """An open event ends once the value stayed safe for the clear debounce."""
        at = record.observed_at
        if state.device_alarm or not threshold.past_clear(value):
            state.since = None
            return []
        state.since = state.since or at
        if (at - state.since).total_seconds() >= threshold.clear_debounce_s:
            return [self._end(state, at, THRESHOLD_RULE, record)]
        return []

    def _periodic_update(self, state: RuleState, record: SensorRecord) -> list[Emitted]:
        last = state.event_updated_at
        if last is not None and record.observed_at - last >= self._update_every:
            rule = DEVICE_RULE if state.device_alarm else THRESHOLD_RULE
            return [self._next(state, "update", record.observed_at, rule, record)]
        return []

    def _open(
        self,
        state: RuleState,
        started_at: datetime,
        rule: str,
        record: SensorRecord,
        *,
        now: datetime | None = None,
    ) -> Emitted:
        state.phase, state.since = Phase.ALARM.value, None
        state.event_id = self._new_event_id()
        state.event_sequence = 0
        state.event_started_at = started_at
        state.event_updated_at = now or started_at
        return self._emitted(state, "new", rule, record)

    def _next(
        self,
        state: RuleState,
        kind: Literal["update", "end"],
        at: datetime,
        rule: str,
        record: SensorRecord,
    ) -> Emitted:
        state.event_sequence += 1
        state.event_updated_at = at
        return self._emitted(state, kind, rule, record)

    def _end(self, state: RuleState, at: datetime, rule: str, record: SensorRecord) -> Emitted:
        emitted = self._next(state, "end", at, rule, record)
        state.phase, state.since, state.event_id = Phase.NORMAL.value, None, None
        state.event_started_at = state.event_updated_at = None
        state.event_sequence = 0
        return emitted

    def _emitted(
        self,
        state: RuleState,
        kind: Literal["new", "update", "end"],
        rule: str,
        record: SensorRecord,
    ) -> Emitted:
        assert state.event_id is not None
        assert state.event_started_at is not None
        assert state.event_updated_at is not None
        return Emitted(
            event_id=state.event_id,
            sequence=state.event_sequence,
            state=kind,
            started_at=state.event_started_at,
            updated_at=state.event_updated_at,
            rule_id=rule,
            value=record.value if record.value is not None else state.last_value,
            code=record.code,
        )
