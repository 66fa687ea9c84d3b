"""SQL of incidents: review, relinking, timeline, listing; ingest's in placement_repository."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.repository import Page, _page
from gridwatch_central.db.scoping import grid_match, scope_clause
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
class IncidentChange:
    """One entry of an incident's timeline (opened, verified, rejected, duplicate), with the
    grid codes that decide who may see it."""

    seq: int  # the timeline entry's id: increasing, the console's SSE event id
    incident_id: int
    action: str
    grid_codes: tuple[str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    status: str | None = None
    category: str | None = None
    camera_id: str | None = None
    grid_code: str | None = None
    ids: tuple[int, ...] | None = None  # only these incidents


def relink_events(session: Session, from_incident: int, to_incident: int) -> None:
    session.execute(
        update(IncidentEventRow)
        .where(IncidentEventRow.incident_id == from_incident)
        .values(incident_id=to_incident)
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


def cases_of_incidents(session: Session, incident_ids: list[int]) -> dict[int, CaseRow]:
    """The case of each incident that has one, in one query."""
    if not incident_ids:
        return {}
    rows = session.scalars(select(CaseRow).where(CaseRow.incident_id.in_(incident_ids)))
    return {row.incident_id: row for row in rows if row.incident_id is not None}


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
    if where.ids is not None:
        query = query.where(IncidentRow.id.in_(where.ids))
    return _page(session, query, limit, offset)


def incident_changes(session: Session, after_seq: int, limit: int) -> list[IncidentChange]:
    """Timeline entries of all incidents after ``after_seq``, oldest first."""
    query = (
        select(
            IncidentTimelineRow.id,
            IncidentTimelineRow.incident_id,
            IncidentTimelineRow.action,
            IncidentRow.grid_l1_code,
            IncidentRow.grid_l2_code,
            IncidentRow.grid_l3_code,
        )
        .join(IncidentRow, IncidentRow.id == IncidentTimelineRow.incident_id)
        .where(IncidentTimelineRow.id > after_seq)
        .order_by(IncidentTimelineRow.id)
        .limit(limit)
    )
    return [
        IncidentChange(seq, incident_id, action, (l1, l2, l3))
        for seq, incident_id, action, l1, l2, l3 in session.execute(query)
    ]


def last_incident_change(session: Session) -> int:
    """The newest timeline entry's id (0 when there is none)."""
    return session.scalar(select(func.max(IncidentTimelineRow.id))) or 0
