"""Attaching a stored alert to its incident, opening one when no open incident is near.

An alert joins, in order: the incident of its edge event (later alerts of one event always
follow the first), else the nearest open incident of the same category within the category's
radius whose last alert is within the category's window, else a new incident. Runs inside the
ingest transaction, so an alert and its incident are committed together or not at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db.tables import CaseRow, IncidentRow
from gridwatch_central.grid import GridAssignment
from gridwatch_central.incidents.geo import bounding_box, haversine_m
from gridwatch_central.routing import CategoryPolicy
from gridwatch_contract.messages import AlertMessage


class IncidentStatus(StrEnum):
    PENDING = "PENDING"  # awaiting an operator's review
    VERIFIED = "VERIFIED"  # a real problem; a case is open for it
    FALSE_ALARM = "FALSE_ALARM"  # 误报
    DUPLICATE = "DUPLICATE"  # the same problem as another incident


def attach_to_incident(
    session: Session,
    alert: AlertMessage,
    alert_row_id: int,
    *,
    policy: CategoryPolicy,
    grid: GridAssignment | None,
    received_at: datetime,
    snapshot_hash: str | None,
) -> IncidentRow:
    """The incident the alert now belongs to (updated or new); links the alert row to it."""
    incident = incidents.incident_for_event(session, alert.event_id)
    if incident is None:
        incident = _nearest_open(session, alert, policy, received_at)
    if incident is None:
        incident = _open(
            session,
            alert,
            policy=policy,
            grid=grid,
            received_at=received_at,
            snapshot_hash=snapshot_hash,
        )
        if not incidents.link_event(session, alert.event_id, incident.id):
            # Another consumer opened an incident for this event at the same moment: join it
            # and drop ours, which nobody outside this transaction has seen.
            session.delete(incident)
            session.flush()
            winner = incidents.incident_for_event(session, alert.event_id)
            if winner is None:  # pragma: no cover - the conflicting link must be visible now
                raise RuntimeError(f"incident of event {alert.event_id} vanished")
            incident = winner
        else:
            _log_opened(session, incident, alert)
            incidents.set_alert_links(session, [alert_row_id], incident.id, None)
            return incident
    else:
        incidents.link_event(session, alert.event_id, incident.id)
    _absorb(incident, alert, received_at, snapshot_hash)
    case = incidents.case_of_incident(session, incident.id)
    incidents.set_alert_links(session, [alert_row_id], incident.id, case.id if case else None)
    session.flush()
    return incident


def absorb_followers(
    session: Session,
    incident: IncidentRow,
    followers: list[tuple[AlertMessage, int, datetime, str | None]],
) -> CaseRow | None:
    """More alerts of an event whose first alert ``attach_to_incident`` just placed.

    They follow that alert into its incident without a lookup each: in one ingest batch an
    event's updates arrive together, and one link statement for all of them is what keeps
    ingest fast. Each tuple is (alert, alert row id, received at, snapshot hash).
    """
    for alert, _row_id, received_at, snapshot_hash in followers:
        _absorb(incident, alert, received_at, snapshot_hash)
    case = incidents.case_of_incident(session, incident.id)
    row_ids = [row_id for _alert, row_id, _at, _hash in followers]
    incidents.set_alert_links(session, row_ids, incident.id, case.id if case else None)
    session.flush()
    return case


def _nearest_open(
    session: Session, alert: AlertMessage, policy: CategoryPolicy, received_at: datetime
) -> IncidentRow | None:
    since = received_at - timedelta(minutes=policy.merge_window_min)
    location = alert.location
    box = bounding_box(location.lat, location.lon, policy.merge_radius_m) if location else None
    candidates = incidents.merge_candidates(session, policy.code, since, box, alert.camera_id)
    if location is None:
        return candidates[0] if candidates else None
    scored = [
        (haversine_m(location.lat, location.lon, c.lat, c.lon), c.id, c)
        for c in candidates
        if c.lat is not None and c.lon is not None
    ]
    near = [item for item in scored if item[0] <= policy.merge_radius_m]
    return min(near, key=lambda item: (item[0], item[1]))[2] if near else None


def _open(
    session: Session,
    alert: AlertMessage,
    *,
    policy: CategoryPolicy,
    grid: GridAssignment | None,
    received_at: datetime,
    snapshot_hash: str | None,
) -> IncidentRow:
    cells = (grid.level1, grid.level2, grid.level3) if grid else (None, None, None)
    codes = [cell.code if cell else None for cell in cells]
    values: dict[str, Any] = {
        "category": policy.code,
        "event_type": alert.event_type.value,
        "status": IncidentStatus.PENDING.value,
        "lat": alert.location.lat if alert.location else None,
        "lon": alert.location.lon if alert.location else None,
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "place": next((cell.name for cell in reversed(cells) if cell), None),
        "camera_id": alert.camera_id,
        "edge_id": alert.edge_id,
        "rule_id": alert.rule_id,
        "model_name": alert.model.name,
        "model_version": alert.model.version,
        # Server clock, like every deadline: the time to verify is measured from here.
        "first_seen_at": received_at,
        "last_seen_at": received_at,
        "alert_count": 1,
        "first_alert_id": alert.alert_id,
        "first_event_id": alert.event_id,
        "best_alert_id": alert.alert_id,
        "best_confidence": alert.confidence,
        "best_snapshot_sha256": snapshot_hash,
    }
    return incidents.insert_incident(session, values)


def _absorb(
    incident: IncidentRow, alert: AlertMessage, received_at: datetime, snapshot_hash: str | None
) -> None:
    incident.alert_count += 1
    incident.last_seen_at = max(incident.last_seen_at, received_at)
    # The best alert (and its snapshot) is the most confident one.
    if alert.confidence > incident.best_confidence:
        incident.best_alert_id = alert.alert_id
        incident.best_confidence = alert.confidence
        incident.best_snapshot_sha256 = snapshot_hash


def _log_opened(session: Session, incident: IncidentRow, alert: AlertMessage) -> None:
    incidents.append_incident_timeline(
        session,
        {
            "incident_id": incident.id,
            "at": incident.first_seen_at,
            "action": "opened",
            "actor": "system",
            "actor_role": "system",
            "note": f"发现: opened from alert {alert.alert_id} of camera {alert.camera_id}",
            "details": None,
        },
    )
