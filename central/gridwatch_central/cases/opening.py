"""立案: opening the case of a verified incident, routed, assigned and on the clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridwatch_central.cases.actor import Actor
from gridwatch_central.cases.clockwork import grid_at_level, start_step, warn_time
from gridwatch_central.cases.states import CaseState
from gridwatch_central.db import case_repository as cases
from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db import repository
from gridwatch_central.db.tables import CaseRow, IncidentRow
from gridwatch_central.routing import Route, Router

EVENT_LABELS = {
    "crowd": "人员聚集",
    "road_blockage": "道路阻塞",
    "illegal_parking": "违章停车",
    "left_object": "物品遗留",
    "littering": "乱扔垃圾",
    "line_crossing": "越线闯入",
    "camera_offline": "摄像机离线",
    "camera_online": "摄像机恢复",
}


def facts(case: CaseRow) -> dict[str, Any]:
    """What a timeline entry records about the case at that moment; metrics read it back."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "due_at": iso(case.due_at),
        "step_due_at": iso(case.step_due_at),
        "department": case.department,
        "handling_level": case.handling_level,
        "assignee": case.assignee,
    }


def open_case(
    session: Session,
    incident: IncidentRow,
    *,
    actor: Actor,
    now: datetime,
    router: Router,
    timezone: ZoneInfo,
) -> CaseRow:
    """Register the case of ``incident`` (REGISTERED) and attach the incident's alerts."""
    codes = [incident.grid_l1_code, incident.grid_l2_code, incident.grid_l3_code]
    route = router.route(incident.category, codes)
    values = _values(incident, route, now, router.config.warn_fraction)
    case_id = repository.insert_case(session, values)
    if case_id is None:  # the incident row is locked by the caller, so this is a bug
        raise RuntimeError(f"incident {incident.id} already has a case")
    case = cases.get_case(session, case_id)
    if case is None:  # pragma: no cover - inserted just now in this transaction
        raise RuntimeError(f"case {case_id} vanished")
    local_date = now.astimezone(timezone).strftime("%Y%m%d")
    case.case_number = f"GW-{local_date}-{case_id:06d}"
    case.handling_level = _handling_level(case, router, route)
    case.assignee = router.staff_of(grid_at_level(case, case.handling_level))
    start_step(case, CaseState.REGISTERED, now, route.limits, router.config.warn_fraction)
    note = f"立案: incident {incident.id} ({incident.alert_count} alert(s)) verified by {actor.id}"
    if route.category.emergency:
        note += f"; 紧急: sent straight to level {case.handling_level}"
    if incident.grid_l3_code is None:
        note += "; 无网格: the incident lies outside the micro-grids"
    entry = cases.append_entry(
        session,
        {
            "case_id": case_id,
            "at": now,
            "action": "registered",
            "actor": actor.id,
            "actor_role": actor.role.value,
            "from_state": None,
            "to_state": CaseState.REGISTERED.value,
            "note": note,
            "attachments": None,
            "details": facts(case) | {"emergency": route.category.emergency},
        },
    )
    case.step_key = f"{CaseState.REGISTERED.value}@{entry.id}"
    incidents.attach_incident_alerts_to_case(session, incident.id, case_id)
    session.flush()
    return case


def _values(
    incident: IncidentRow, route: Route, now: datetime, warn_fraction: float
) -> dict[str, Any]:
    label = EVENT_LABELS.get(incident.event_type, route.category.name)
    due_at = now + timedelta(hours=route.limits.case_h)
    return {
        # A unique placeholder until the row id is known; never visible outside the transaction.
        "case_number": f"pending-{incident.first_event_id}",
        "state": CaseState.REGISTERED.value,
        "category": incident.category,
        "title": f"{label}（{incident.place or incident.camera_id}）",
        "grid_l1_code": incident.grid_l1_code,
        "grid_l2_code": incident.grid_l2_code,
        "grid_l3_code": incident.grid_l3_code,
        "camera_id": incident.camera_id,
        "edge_id": incident.edge_id,
        "event_id": incident.first_event_id,
        "opened_at": now,
        "due_at": due_at,
        "due_warn_at": warn_time(now, due_at, warn_fraction),
        "first_alert_id": incident.first_alert_id,
        "incident_id": incident.id,
        "department": route.department.code,
        "area_class": route.area_class,
        "emergency": route.category.emergency,
    }


def _handling_level(case: CaseRow, router: Router, route: Route) -> int:
    """Micro-grid first; an emergency starts at the configured level; gaps move it up."""
    level = router.config.emergency_level if route.category.emergency else 3
    while level > 0 and grid_at_level(case, level) is None:
        level -= 1
    return level
