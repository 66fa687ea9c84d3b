"""Opening a case for a new event and attaching later alerts of the event to it.

Runs inside the ingest transaction, so an alert and its case are committed together or not at
all. The full case state machine (dispatch, handle, verify, close) is a later issue; every case
starts ``REGISTERED`` (立案).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridwatch_central.db import repository
from gridwatch_central.grid import GridAssignment
from gridwatch_contract.messages import AlertMessage, AlertState, EventType

REGISTERED = "REGISTERED"
SYSTEM_ACTOR = "system"

EVENT_LABELS = {
    EventType.CROWD: "人员聚集",
    EventType.ROAD_BLOCKAGE: "道路阻塞",
    EventType.ILLEGAL_PARKING: "违章停车",
    EventType.LEFT_OBJECT: "物品遗留",
    EventType.LITTERING: "乱扔垃圾",
    EventType.LINE_CROSSING: "越线闯入",
    EventType.CAMERA_OFFLINE: "摄像机离线",
    EventType.CAMERA_ONLINE: "摄像机恢复",
}


@dataclass(frozen=True, slots=True)
class CasePolicy:
    time_limit: timedelta
    timezone: ZoneInfo


def attach_to_case(
    session: Session,
    alert: AlertMessage,
    alert_row_id: int,
    *,
    grid: GridAssignment | None,
    received_at: datetime,
    policy: CasePolicy,
) -> int:
    """Attach the stored alert to its event's case, opening the case if there is none yet."""
    case_id = repository.case_id_for_event(session, alert.event_id)
    if case_id is None:
        case_id = _open_case(session, alert, grid, received_at, policy)
    repository.attach_alert(session, alert_row_id, case_id)
    if alert.state is AlertState.END:
        note = f"事件结束: the edge ended the event with alert {alert.alert_id}"
        _log(session, case_id, at=received_at, action="event_ended", note=note)
    return case_id


def _open_case(
    session: Session,
    alert: AlertMessage,
    grid: GridAssignment | None,
    received_at: datetime,
    policy: CasePolicy,
) -> int:
    cells = (grid.level1, grid.level2, grid.level3) if grid else (None, None, None)
    codes = [cell.code if cell else None for cell in cells]
    place = next((cell.name for cell in reversed(cells) if cell), alert.camera_id)
    values = {
        # A unique placeholder until the row id is known; never visible outside the transaction.
        "case_number": f"pending-{alert.event_id}",
        "state": REGISTERED,
        "category": alert.event_type.value,
        "title": f"{EVENT_LABELS[alert.event_type]}（{place}）",
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "camera_id": alert.camera_id,
        "edge_id": alert.edge_id,
        "event_id": alert.event_id,
        "opened_at": received_at,
        # Server clock: an edge with a wrong clock must not shorten or extend the time limit.
        "due_at": received_at + policy.time_limit,
        "first_alert_id": alert.alert_id,
    }
    case_id = repository.insert_case(session, values)
    if case_id is None:  # another consumer opened it concurrently; attach to theirs
        existing = repository.case_id_for_event(session, alert.event_id)
        if existing is None:  # pragma: no cover - the conflicting row must be visible now
            raise RuntimeError(f"case of event {alert.event_id} vanished")
        return existing
    local_date = received_at.astimezone(policy.timezone).strftime("%Y%m%d")
    repository.set_case_number(session, case_id, f"GW-{local_date}-{case_id:06d}")
    note = _registration_note(alert, grid)
    _log(session, case_id, at=received_at, action="registered", note=note, to_state=REGISTERED)
    return case_id


def _registration_note(alert: AlertMessage, grid: GridAssignment | None) -> str:
    note = f"立案: registered by system from alert {alert.alert_id}"
    if alert.state is not AlertState.NEW:
        note += f"; opened from a '{alert.state.value}' alert, the 'new' alert was not received"
    if alert.location is None:
        note += "; 无网格: the alert carries no location"
    elif grid is None:
        note += f"; 无网格: ({alert.location.lat}, {alert.location.lon}) is outside the grid"
    return note


def _log(
    session: Session,
    case_id: int,
    *,
    at: datetime,
    action: str,
    note: str,
    to_state: str | None = None,
) -> None:
    repository.append_timeline(
        session,
        {
            "case_id": case_id,
            "at": at,
            "action": action,
            "actor": SYSTEM_ACTOR,
            "from_state": None,
            "to_state": to_state,
            "note": note,
        },
    )
