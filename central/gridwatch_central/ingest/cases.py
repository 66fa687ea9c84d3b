"""Storing a batch of decoded alerts: each once, each attached to its event's case.

Runs inside one ingest transaction, so alerts and their cases are committed together or not at
all. A batch costs a fixed handful of statements whatever its size (bulk inserts with
``ON CONFLICT DO NOTHING``), which is what lets one process store thousands of alerts a second.

A row another central process inserted concurrently makes the transaction start over (see
``repository.insert_alerts``), so each alert and each case is reported "stored" by one process.

Order matters: the cases of the batch's events are found or opened first, then the alerts are
inserted already pointing at them. A redelivered alert always finds its case (it was committed
with the original), so no case is opened for a duplicate. Rows are sorted by key before bulk
inserts so that two central processes inserting overlapping batches lock in the same order and
cannot deadlock.

The full case state machine (dispatch, handle, verify, close) is a later issue; every case
starts ``REGISTERED`` (立案).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
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


@dataclass(frozen=True, slots=True)
class PreparedAlert:
    """A valid alert with what ingest worked out before the transaction."""

    alert: AlertMessage
    received_at: datetime
    grid: GridAssignment | None
    snapshot_sha256: str | None


def store_alerts(
    session: Session, batch: Sequence[PreparedAlert], policy: CasePolicy
) -> dict[uuid.UUID, int]:
    """Store the batch; returns ``alert_id → case id`` for the alerts that were new."""
    firsts: dict[uuid.UUID, PreparedAlert] = {}
    for item in batch:  # the first alert of each alert_id; later copies are duplicates
        firsts.setdefault(item.alert.alert_id, item)
    unique = sorted(firsts.values(), key=lambda item: item.alert.alert_id)
    case_ids = _cases_of_events(session, unique, policy)
    rows = [_alert_values(item, case_ids[item.alert.event_id]) for item in unique]
    stored = set(repository.insert_alerts(session, rows))
    ended = [
        _timeline(
            case_ids[item.alert.event_id],
            item.received_at,
            "event_ended",
            f"事件结束: the edge ended the event with alert {item.alert.alert_id}",
        )
        for item in unique
        if item.alert.alert_id in stored and item.alert.state is AlertState.END
    ]
    repository.insert_timeline(session, ended)
    return {alert_id: case_ids[firsts[alert_id].alert.event_id] for alert_id in stored}


def _cases_of_events(
    session: Session, unique: Sequence[PreparedAlert], policy: CasePolicy
) -> dict[uuid.UUID, int]:
    """``event_id → case id`` for every event of the batch, opening the missing cases."""
    opener: dict[uuid.UUID, PreparedAlert] = {}
    for item in sorted(unique, key=lambda item: item.alert.sequence):
        opener.setdefault(item.alert.event_id, item)
    case_ids = repository.case_ids_for_events(session, list(opener))
    missing = sorted(set(opener) - set(case_ids))
    if not missing:
        return case_ids
    opened = repository.insert_cases(session, [_case_values(opener[e], policy) for e in missing])
    case_ids.update(opened)
    numbers = []
    registrations = []
    for event_id, case_id in opened.items():
        item = opener[event_id]
        local_date = item.received_at.astimezone(policy.timezone).strftime("%Y%m%d")
        numbers.append({"id": case_id, "case_number": f"GW-{local_date}-{case_id:06d}"})
        note = _registration_note(item.alert, item.grid)
        registrations.append(
            _timeline(case_id, item.received_at, "registered", note, to_state=REGISTERED)
        )
    repository.set_case_numbers(session, numbers)
    repository.insert_timeline(session, registrations)
    return case_ids


def _case_values(item: PreparedAlert, policy: CasePolicy) -> dict[str, Any]:
    alert, grid = item.alert, item.grid
    cells = (grid.level1, grid.level2, grid.level3) if grid else (None, None, None)
    codes = [cell.code if cell else None for cell in cells]
    place = next((cell.name for cell in reversed(cells) if cell), alert.camera_id)
    return {
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
        "opened_at": item.received_at,
        # Server clock: an edge with a wrong clock must not shorten or extend the time limit.
        "due_at": item.received_at + policy.time_limit,
        "first_alert_id": alert.alert_id,
    }


def _alert_values(item: PreparedAlert, case_id: int) -> dict[str, Any]:
    alert, grid = item.alert, item.grid
    cells = (grid.level1, grid.level2, grid.level3) if grid else (None, None, None)
    codes = [cell.code if cell else None for cell in cells]
    return {
        "alert_id": alert.alert_id,
        "event_id": alert.event_id,
        "sequence": alert.sequence,
        "edge_id": alert.edge_id,
        "camera_id": alert.camera_id,
        "event_type": alert.event_type.value,
        "rule_id": alert.rule_id,
        "zone_id": alert.zone_id,
        "state": alert.state.value,
        "started_at": alert.started_at,
        "updated_at": alert.updated_at,
        "received_at": item.received_at,
        "confidence": alert.confidence,
        "objects": [obj.model_dump(mode="json") for obj in alert.objects],
        "measurements": dict(alert.measurements),
        "lat": alert.location.lat if alert.location else None,
        "lon": alert.location.lon if alert.location else None,
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "snapshot_sha256": item.snapshot_sha256,
        "model_name": alert.model.name,
        "model_version": alert.model.version,
        "case_id": case_id,
    }


def _registration_note(alert: AlertMessage, grid: GridAssignment | None) -> str:
    note = f"立案: registered by system from alert {alert.alert_id}"
    if alert.state is not AlertState.NEW:
        note += f"; opened from a '{alert.state.value}' alert, the 'new' alert was not received"
    if alert.location is None:
        note += "; 无网格: the alert carries no location"
    elif grid is None:
        note += f"; 无网格: ({alert.location.lat}, {alert.location.lon}) is outside the grid"
    return note


def _timeline(
    case_id: int, at: datetime, action: str, note: str, *, to_state: str | None = None
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "at": at,
        "action": action,
        "actor": SYSTEM_ACTOR,
        "from_state": None,
        "to_state": to_state,
        "note": note,
    }
