"""The rules of one sensor on every trace: exactly the expected lifecycle, nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridwatch.sensor_traces import TRACES, Step, Trace
from gridwatch_central.sensors.rules import Phase, RuleState, SensorRules
from gridwatch_central.sensors.types import load_sensor_types
from gridwatch_contract.sensors import SensorRecordKind
from tests.central.helpers import SENSOR_TYPES

BASE = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def _run(trace: Trace, records: int | None = None) -> tuple[list[str], RuleState]:
    kind = load_sensor_types(SENSOR_TYPES).types[trace.sensor_type]
    rules = SensorRules(kind, kind.threshold)
    state = RuleState("s-1", BASE)
    states: list[str] = []
    for record in trace.records("s-1", BASE)[:records]:
        states += [emitted.state for emitted in rules.apply(state, record).emitted]
    return states, state


@pytest.mark.parametrize("name", sorted(TRACES))
def test_each_trace_gives_exactly_its_expected_events(name: str) -> None:
    states, state = _run(TRACES[name])
    assert tuple(states) == TRACES[name].expected
    assert state.phase == Phase.NORMAL  # every trace ends with its event over


def test_a_resent_record_is_stale_and_changes_nothing() -> None:
    trace = TRACES["gas_leak"]
    kind = load_sensor_types(SENSOR_TYPES).types["gas"]
    rules = SensorRules(kind, kind.threshold)
    state = RuleState("s-1", BASE)
    records = trace.records("s-1", BASE)
    opened = [e for r in records[:5] for e in rules.apply(state, r).emitted]
    again = rules.apply(state, records[4])
    assert [e.state for e in opened] == ["new"]
    assert again.stale
    assert not again.emitted


def test_an_open_event_is_kept_in_a_lifecycle_with_a_growing_sequence() -> None:
    trace = TRACES["water_rising"]
    kind = load_sensor_types(SENSOR_TYPES).types["water_level"]
    rules = SensorRules(kind, kind.threshold)
    state = RuleState("s-1", BASE)
    emitted = [e for r in trace.records("s-1", BASE) for e in rules.apply(state, r).emitted]
    assert len({e.event_id for e in emitted}) == 1
    assert [e.sequence for e in emitted] == list(range(len(emitted)))
    # The event started when the level first crossed 150 mm, not when the debounce ran out.
    assert emitted[0].started_at == BASE.replace(minute=1, second=30)


def test_a_device_alarm_holds_the_event_open_until_its_clearance() -> None:
    kind = load_sensor_types(SENSOR_TYPES).types["manhole_cover"]
    rules = SensorRules(kind, kind.threshold)
    state = RuleState("s-1", BASE)
    steps = (Step(0, SensorRecordKind.ALARM), Step(5, SensorRecordKind.READING, 1.0))
    trace = Trace("t", "", "manhole_cover", steps, expected=())
    emitted = [e for r in trace.records("s-1", BASE) for e in rules.apply(state, r).emitted]
    assert [e.state for e in emitted] == ["new"]  # a flat reading does not end a device alarm
    assert state.phase == Phase.ALARM
