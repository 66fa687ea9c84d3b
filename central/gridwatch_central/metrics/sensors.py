"""Sensor figures of a period, by sensor type and grid: alarms, how review judged them, and
how long sensors were offline.

An alarm counts in the period its ``new`` alert was received in; an incident's review in the
period the incident was first seen in (like camera incidents); offline time is the part of
each offline spell (``sensor_offline`` to the next ``sensor_online``, or ``as_of``) inside the
period. The grid key is the code at ``level`` (0 = district) of where the sensor stands.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import sensor_repository as sensors
from gridwatch_central.db.tables import AlertRow, IncidentRow
from gridwatch_central.incidents import IncidentStatus
from gridwatch_central.routing import district_code
from gridwatch_central.sensors.types import SENSOR_OFFLINE, SENSOR_ONLINE

NO_GRID = "(none)"


@dataclass(slots=True)
class SensorFigures:
    alarms: int = 0
    incidents: int = 0
    verified: int = 0
    false_alarms: int = 0
    offline_s: float = 0.0

    @property
    def false_alarm_rate(self) -> float | None:
        """False alarms among the incidents reviewed (verified or rejected)."""
        reviewed = self.verified + self.false_alarms
        return self.false_alarms / reviewed if reviewed else None


@dataclass(frozen=True, slots=True)
class SensorMetricRow:
    sensor_type: str
    grid_code: str
    figures: SensorFigures


def _grid(row: AlertRow | IncidentRow, level: int) -> str:
    codes = {1: row.grid_l1_code, 2: row.grid_l2_code, 3: row.grid_l3_code}
    if level > 0:
        return codes[level] or NO_GRID
    known = next((code for code in codes.values() if code), None)
    return district_code(known) if known else NO_GRID


def _visible(row: AlertRow | IncidentRow, scope: Scope | None) -> bool:
    return scope is None or scope.covers_grid(row.grid_l1_code, row.grid_l2_code, row.grid_l3_code)


def compute_sensor_metrics(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime,
    level: int = 3,
    scope: Scope | None = None,
) -> list[SensorMetricRow]:
    """One row per (sensor type, grid) with anything to count, sorted."""
    figures: dict[tuple[str, str], SensorFigures] = defaultdict(SensorFigures)
    availability = [SENSOR_OFFLINE, SENSOR_ONLINE]
    for alert in sensors.sensor_alerts_between(session, start, end, availability, excluded=True):
        if alert.state == "new" and _visible(alert, scope):
            figures[alert.event_type, _grid(alert, level)].alarms += 1
    for incident in sensors.sensor_incidents_between(session, start, end):
        if not _visible(incident, scope):
            continue
        counted = figures[incident.event_type, _grid(incident, level)]
        counted.incidents += 1
        counted.verified += incident.status == IncidentStatus.VERIFIED
        counted.false_alarms += incident.status == IncidentStatus.FALSE_ALARM
    _offline_time(session, figures, start=start, end=min(end, as_of), level=level, scope=scope)
    return [SensorMetricRow(kind, grid, value) for (kind, grid), value in sorted(figures.items())]


@dataclass(frozen=True, slots=True)
class _Spell:
    sensor_type: str
    grid: str
    began: datetime
    ended: datetime


def _offline_time(
    session: Session,
    figures: dict[tuple[str, str], SensorFigures],
    *,
    start: datetime,
    end: datetime,
    level: int,
    scope: Scope | None,
) -> None:
    """Adds each offline spell's overlap with [start, end) to its sensor's type and grid."""
    if end <= start:
        return
    for spell in _spells(session, end, level, scope):
        overlap = (min(spell.ended, end) - max(spell.began, start)).total_seconds()
        if overlap > 0:
            figures[spell.sensor_type, spell.grid].offline_s += overlap


def _spells(session: Session, end: datetime, level: int, scope: Scope | None) -> list[_Spell]:
    """Offline spells begun before ``end``: to the next sensor_online, or still open at end."""
    changes = sensors.sensor_alerts_between(session, None, end, [SENSOR_OFFLINE, SENSOR_ONLINE])
    types = sensors.types_of_sensors(session, {row.camera_id for row in changes})
    open_since: dict[str, AlertRow] = {}
    spells = []
    for row in changes:
        if not _visible(row, scope) or row.camera_id not in types:
            continue
        if row.event_type == SENSOR_OFFLINE:
            open_since.setdefault(row.camera_id, row)
        elif (began := open_since.pop(row.camera_id, None)) is not None:
            kind = types[row.camera_id]
            spells.append(_Spell(kind, _grid(began, level), began.received_at, row.received_at))
    spells += [
        _Spell(types[sensor_id], _grid(row, level), row.received_at, end)
        for sensor_id, row in open_since.items()
    ]
    return spells
