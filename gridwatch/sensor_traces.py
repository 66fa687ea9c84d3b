"""Realistic sensor traces for the simulator, the demo, tests and the benchmark.

Each trace is one sensor's records as offsets in seconds from the trace's start, with the
sensor it needs registered and the alerts central's rules must raise for it (with the types
of ``configs/sensor_types.yaml``). Offsets are device time: the player stamps them onto a
base instant in the past, so a trace gives the same events however fast it is played.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gridwatch_contract.sensors import SensorRecord, SensorRecordKind

READING = SensorRecordKind.READING
ALARM = SensorRecordKind.ALARM
CLEARANCE = SensorRecordKind.CLEARANCE
HEARTBEAT = SensorRecordKind.HEARTBEAT


@dataclass(frozen=True, slots=True)
class Step:
    offset_s: float
    kind: SensorRecordKind
    value: float | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class Trace:
    name: str
    description: str
    sensor_type: str
    steps: tuple[Step, ...]
    # The alert states central raises for it, in order (one event: new, updates, end).
    expected: tuple[str, ...]
    # A gateway that falls silent after its last step: central raises sensor_offline.
    goes_silent: bool = False

    @property
    def duration_s(self) -> float:
        return self.steps[-1].offset_s

    def records(self, sensor_id: str, base: datetime) -> list[SensorRecord]:
        return [
            SensorRecord(
                sensor_id=sensor_id,
                sensor_type=self.sensor_type,
                kind=step.kind,
                observed_at=base + timedelta(seconds=step.offset_s),
                value=step.value,
                code=step.code,
            )
            for step in self.steps
        ]


def _readings(start_s: float, every_s: float, values: list[float]) -> tuple[Step, ...]:
    return tuple(Step(start_s + i * every_s, READING, value) for i, value in enumerate(values))


MANHOLE_LIFTED = Trace(
    "manhole_lifted",
    "a manhole cover lifted: the tilt switch alarms, the cover lies askew, is put back",
    "manhole_cover",
    (
        Step(0, READING, 1.0),
        Step(30, ALARM, code="tilt"),
        Step(31, READING, 40.0),
        Step(32, READING, 42.0),
        Step(120, READING, 3.0),
        Step(121, CLEARANCE, code="tilt"),
    ),
    expected=("new", "update", "end"),
)

WATER_RISING = Trace(
    "water_rising",
    "a road floods: the water level rises past 150 mm, stays, and drains away",
    "water_level",
    _readings(0, 30, [50, 80, 120, 160, 180, 200, 190, 170, 120, 90, 60, 40, 30, 20]),
    # Opens once 150 mm held 60 s, refreshed every 60 s, ends once below 100 mm for 120 s.
    expected=("new", "update", "update", "update", "end"),
)

SMOKE_ALARM = Trace(
    "smoke_alarm",
    "a smoke detector alarms, and is cleared three minutes later",
    "smoke",
    (Step(0, HEARTBEAT), Step(10, ALARM, code="smoke"), Step(200, CLEARANCE, code="smoke")),
    expected=("new", "end"),
)

GAS_LEAK = Trace(
    "gas_leak",
    "a gas leak: 40 %LEL for a few seconds, ventilated down below 10",
    "gas",
    (
        Step(0, READING, 0.0),
        Step(10, READING, 5.0),
        Step(20, READING, 30.0),
        Step(21, READING, 35.0),
        Step(23, READING, 40.0),
        Step(30, READING, 20.0),
        Step(40, READING, 8.0),
        Step(70, READING, 5.0),
    ),
    expected=("new", "end"),
)

HYDRANT_LOW = Trace(
    "hydrant_low",
    "hydrant pressure drops below 100 kPa (a main is shut), and comes back",
    "hydrant_pressure",
    _readings(0, 30, [300, 280, 90, 80, 70, 200, 210, 220]),
    expected=("new", "update", "end"),
)

BIN_FULL = Trace(
    "bin_full",
    "a litter bin fills up past 90 % and is emptied",
    "bin_fill",
    _readings(0, 120, [50, 70, 92, 95, 97, 98, 10, 10]),
    expected=("new", "end"),
)

WATER_FLAPPING = Trace(
    "water_flapping",
    "a water level wobbling around the alarm level never long enough: no event",
    "water_level",
    _readings(0, 20, [140, 155, 145, 158, 149, 152, 140, 151, 90]),
    expected=(),
)

GATEWAY_SILENT = Trace(
    "gateway_silent",
    "a gateway sends its heartbeats, then falls silent (power cut): sensor_offline",
    "smoke",
    tuple(Step(i * 10.0, HEARTBEAT) for i in range(4)),
    expected=(),
    goes_silent=True,
)

TRACES: dict[str, Trace] = {
    trace.name: trace
    for trace in (
        MANHOLE_LIFTED,
        WATER_RISING,
        SMOKE_ALARM,
        GAS_LEAK,
        HYDRANT_LOW,
        BIN_FULL,
        WATER_FLAPPING,
        GATEWAY_SILENT,
    )
}
