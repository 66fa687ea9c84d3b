"""What the console's pages show of incidents and cases: labels, grid paths, deadline colours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from gridwatch_central.case_schemas import IncidentOut
from gridwatch_central.cases.states import FINAL, CaseState
from gridwatch_central.categories import CategoryMap
from gridwatch_central.grid.index import GridIndex
from gridwatch_central.routing import Router
from gridwatch_central.schemas import CaseOut, ClipOut
from gridwatch_central.sensors.models import AlertLinkOut
from gridwatch_central.services.evidence import Evidence


def form_items(text: str) -> list[str]:
    """``a, b，c`` (ASCII or full-width commas, spaces) → ["a", "b", "c"]."""
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


@dataclass(frozen=True, slots=True)
class GridStep:
    level: int
    code: str
    name: str


def grid_path(index: GridIndex, codes: tuple[str | None, str | None, str | None]) -> list[GridStep]:
    """一级/二级/三级 names of a row's grid codes (the code itself where a cell is unknown)."""
    steps = []
    for level, code in enumerate(codes, start=1):
        if code:
            cell = index.get(code)
            steps.append(GridStep(level, code, cell.name if cell is not None else code))
    return steps


@dataclass(frozen=True, slots=True)
class SensorReading:
    """What a sensor card shows where a camera card shows its camera: the sensor, its value."""

    sensor_id: str
    value: float | None
    alarm_level: float | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class QueueCard:
    incident: IncidentOut
    category: str
    grid: list[GridStep]
    snapshot_url: str | None
    clean_url: str | None
    clip: ClipOut | None = None
    sensor: SensorReading | None = None
    links: list[AlertLinkOut] = field(default_factory=list)


def queue_card(
    incident: IncidentOut,
    index: GridIndex,
    categories: CategoryMap,
    evidence: Evidence | None = None,
    units: Mapping[str, str | None] | None = None,
) -> QueueCard:
    """The card of one incident; ``evidence`` is its best alert (clip, sensor reading, linked
    cameras), ``units`` the sensor types' units."""
    category = categories.get(incident.category)
    codes = (incident.grid_l1_code, incident.grid_l2_code, incident.grid_l3_code)
    snapshot = f"/console/alerts/{incident.best_alert_id}/snapshot"
    alert = evidence
    sensor = None
    if alert is not None and alert.source == "sensor":
        sensor = SensorReading(
            sensor_id=alert.camera_id,
            value=alert.measurements.get("value"),
            alarm_level=alert.measurements.get("alarm_level"),
            unit=(units or {}).get(alert.event_type),
        )
    shown = incident.best_snapshot_url is not None
    # A linked camera's picture of a sensor alarm has no clean twin: it is one frame as is.
    clean = snapshot if sensor is not None else f"{snapshot}?clean=1"
    return QueueCard(
        incident=incident,
        category=category.name if category is not None else incident.category,
        grid=grid_path(index, codes),
        snapshot_url=snapshot if shown else None,
        clean_url=clean if shown else None,
        clip=alert.clip if alert is not None else None,
        sensor=sensor,
        links=alert.links if alert is not None else [],
    )


def deadline_colour(case: CaseOut, now: datetime) -> str | None:
    """green / yellow (预警) / red (超期, 督办) from the step's and the case's time limits."""
    if CaseState(case.state) in FINAL or case.state == CaseState.ON_HOLD:
        return None
    if now >= case.due_at or (case.step_due_at is not None and now >= case.step_due_at):
        return "red"
    warned = [at for at in (case.step_warn_at, case.due_warn_at) if at is not None]
    return "yellow" if any(now >= at for at in warned) else "green"


@dataclass(frozen=True, slots=True)
class BoardCase:
    case: CaseOut
    category: str
    department: str
    grid: list[GridStep]
    colour: str | None


def board_case(
    case: CaseOut, now: datetime, index: GridIndex, categories: CategoryMap, router: Router
) -> BoardCase:
    category = categories.get(case.category)
    department = router.department(case.department or "")
    codes = (case.grid_l1_code, case.grid_l2_code, case.grid_l3_code)
    return BoardCase(
        case=case,
        category=category.name if category is not None else case.category,
        department=department.name if department is not None else (case.department or "—"),
        grid=grid_path(index, codes),
        colour=deadline_colour(case, now),
    )


# The board's columns: the states of each, in the order a case moves.
BOARD_COLUMNS: list[tuple[str, tuple[CaseState, ...]]] = [
    ("column.to_dispatch", (CaseState.REGISTERED, CaseState.RETURNED)),
    ("column.dispatched", (CaseState.DISPATCHED,)),
    ("column.handling", (CaseState.IN_PROGRESS, CaseState.REWORK)),
    ("column.to_check", (CaseState.FEEDBACK,)),
    ("column.on_hold", (CaseState.ON_HOLD,)),
    ("column.closed", (CaseState.CLOSED, CaseState.EVALUATED)),
]


# The order actions are offered in: the step forward first (opened), then the others.
_ACTION_ORDER = [
    "dispatch",
    "accept",
    "feedback",
    "check_pass",
    "check_fail",
    "evaluate",
    "resume",
    "request_extension",
    "escalate",
    "return",
    "hold",
    "void",
]


def offered_actions(allowed: list[str]) -> list[str]:
    """The case page's action buttons; extension decisions sit next to each request."""
    return sorted((a for a in allowed if a in _ACTION_ORDER), key=_ACTION_ORDER.index)
