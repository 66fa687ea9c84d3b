"""SQL of incidents: creation, event links, merge candidates, review, listing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.repository import Page, _page
from gridwatch_central.db.scoping import grid_match, insert_or_ignore, scope_clause
from gridwatch_central.db.tables import (
    AlertRow,
    CaseRow,
    IncidentEventRow,
    IncidentRow,
    IncidentTimelineRow,
)

OPEN_STATUSES = ("PENDING", "VERIFIED")
CLOSED_CASE_STATES = ("CLOSED", "EVALUATED", "VOIDED")


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    status: str | None = None
    category: str | None = None
    camera_id: str | None = None
    grid_code: str | None = None


def insert_incident(session: Session, values: dict[str, Any]) -> IncidentRow:
    row = IncidentRow(**values)
    session.add(row)
    session.flush()
    return row


def link_event(session: Session, event_id: uuid.UUID, incident_id: int) -> bool:
    """Tie an edge event to an incident; False when another alert already tied it."""
    values = {"event_id": event_id, "incident_id": incident_id}
    return insert_or_ignore(session, IncidentEventRow, values, ["event_id"])


def relink_events(session: Session, from_incident: int, to_incident: int) -> None:
    session.execute(
        update(IncidentEventRow)
        .where(IncidentEventRow.incident_id == from_incident)
        .values(incident_id=to_incident)
    )


def incident_for_event(session: Session, event_id: uuid.UUID) -> IncidentRow | None:
    query = (
        select(IncidentRow)
        .join(IncidentEventRow, IncidentEventRow.incident_id == IncidentRow.id)
        .where(IncidentEventRow.event_id == event_id)
        .with_for_update(of=IncidentRow)
    )
    return session.scalar(query)


def merge_candidates(
    session: Session,
    category: str,
    since: datetime,
    box: tuple[float, float, float, float] | None,
    camera_id: str,
) -> Sequence[IncidentRow]:
    """Open incidents of ``category`` seen since ``since``: inside the lat/lon ``box``
    (south, west, north, east) or, for an alert without a location, from the same camera."""
    query = (
        select(IncidentRow)
        .outerjoin(CaseRow, CaseRow.incident_id == IncidentRow.id)
        .where(
            IncidentRow.category == category,
            IncidentRow.status.in_(OPEN_STATUSES),
            IncidentRow.last_seen_at >= since,
            or_(CaseRow.id.is_(None), CaseRow.state.not_in(CLOSED_CASE_STATES)),
        )
        .order_by(IncidentRow.last_seen_at.desc(), IncidentRow.id.desc())
        .with_for_update(of=IncidentRow)
    )
    if box is None:
        query = query.where(IncidentRow.lat.is_(None), IncidentRow.camera_id == camera_id)
    else:
        south, west, north, east = box
        query = query.where(
            IncidentRow.lat.between(south, north), IncidentRow.lon.between(west, east)
        )
    return session.scalars(query).all()


def set_alert_links(
    session: Session, alert_row_ids: list[int], incident_id: int, case_id: int | None
) -> None:
    session.execute(
        update(AlertRow)
        .where(AlertRow.id.in_(alert_row_ids))
        .values(incident_id=incident_id, case_id=case_id)
    )


def attach_incident_alerts_to_case(session: Session, incident_id: int, case_id: int) -> None:
    session.execute(
        update(AlertRow).where(AlertRow.incident_id == incident_id).values(case_id=case_id)
    )


def append_incident_timeline(session: Session, values: dict[str, Any]) -> None:
    session.add(IncidentTimelineRow(**values))
    session.flush()


def get_incident(
    session: Session, incident_id: int, scope: Scope | None = None, *, lock: bool = False
) -> IncidentRow | None:
    query = select(IncidentRow).where(
        IncidentRow.id == incident_id, scope_clause(IncidentRow, scope)
    )
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def case_of_incident(session: Session, incident_id: int) -> CaseRow | None:
    return session.scalar(select(CaseRow).where(CaseRow.incident_id == incident_id))


def incident_timeline(session: Session, incident_id: int) -> Sequence[IncidentTimelineRow]:
    query = (
        select(IncidentTimelineRow)
        .where(IncidentTimelineRow.incident_id == incident_id)
        .order_by(IncidentTimelineRow.id)
    )
    return session.scalars(query).all()


def alerts_of_incident(session: Session, incident_id: int) -> Sequence[AlertRow]:
    query = (
        select(AlertRow)
        .where(AlertRow.incident_id == incident_id)
        .order_by(AlertRow.received_at, AlertRow.id)
    )
    return session.scalars(query).all()


def list_incidents(
    session: Session, where: IncidentFilter, scope: Scope | None, limit: int, offset: int
) -> Page[IncidentRow]:
    query = (
        select(IncidentRow)
        .where(scope_clause(IncidentRow, scope))
        .order_by(IncidentRow.last_seen_at.desc(), IncidentRow.id.desc())
    )
    if where.status is not None:
        query = query.where(IncidentRow.status == where.status)
    if where.category is not None:
        query = query.where(IncidentRow.category == where.category)
    if where.camera_id is not None:
        query = query.where(IncidentRow.camera_id == where.camera_id)
    if where.grid_code is not None:
        query = query.where(grid_match(IncidentRow, where.grid_code))
    return _page(session, query, limit, offset)
