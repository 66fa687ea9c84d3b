"""SQL of the case loop's cases: locking, updates, timeline, extensions, supervision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.repository import Page, _page
from gridwatch_central.db.scoping import grid_match, insert_or_ignore, scope_clause
from gridwatch_central.db.tables import (
    CaseRow,
    ExtensionRow,
    IncidentRow,
    IncidentTimelineRow,
    SupervisionRow,
    TimelineRow,
)


@dataclass(frozen=True, slots=True)
class CaseListFilter:
    state: str | None = None
    grid_code: str | None = None
    department: str | None = None
    category: str | None = None
    assignee: str | None = None
    opened_from: datetime | None = None  # inclusive
    opened_to: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class SupervisionFilter:
    case_id: int | None = None
    level: str | None = None


def get_case(
    session: Session, case_id: int, scope: Scope | None = None, *, lock: bool = False
) -> CaseRow | None:
    query = select(CaseRow).where(CaseRow.id == case_id, scope_clause(CaseRow, scope))
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def update_case(session: Session, case_id: int, values: dict[str, Any]) -> None:
    session.execute(update(CaseRow).where(CaseRow.id == case_id).values(**values))


def append_entry(session: Session, values: dict[str, Any]) -> TimelineRow:
    row = TimelineRow(**values)
    session.add(row)
    session.flush()
    return row


def timeline(session: Session, case_id: int) -> Sequence[TimelineRow]:
    query = select(TimelineRow).where(TimelineRow.case_id == case_id).order_by(TimelineRow.id)
    return session.scalars(query).all()


def list_cases(
    session: Session, where: CaseListFilter, scope: Scope | None, limit: int, offset: int
) -> Page[CaseRow]:
    query = (
        select(CaseRow)
        .where(scope_clause(CaseRow, scope))
        .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
    )
    for column, value in (
        (CaseRow.state, where.state),
        (CaseRow.department, where.department),
        (CaseRow.category, where.category),
        (CaseRow.assignee, where.assignee),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.grid_code is not None:
        query = query.where(grid_match(CaseRow, where.grid_code))
    if where.opened_from is not None:
        query = query.where(CaseRow.opened_at >= where.opened_from)
    if where.opened_to is not None:
        query = query.where(CaseRow.opened_at < where.opened_to)
    return _page(session, query, limit, offset)


def insert_extension(session: Session, values: dict[str, Any]) -> ExtensionRow:
    row = ExtensionRow(**values)
    session.add(row)
    session.flush()
    return row


def get_extension(session: Session, case_id: int, extension_id: int) -> ExtensionRow | None:
    query = (
        select(ExtensionRow)
        .where(ExtensionRow.id == extension_id, ExtensionRow.case_id == case_id)
        .with_for_update()
    )
    return session.scalar(query)


def extensions_of(session: Session, case_id: int) -> Sequence[ExtensionRow]:
    query = select(ExtensionRow).where(ExtensionRow.case_id == case_id).order_by(ExtensionRow.id)
    return session.scalars(query).all()


def insert_supervision(session: Session, values: dict[str, Any]) -> bool:
    """Record a deadline alarm once per (case, step instance, level); False if it existed."""
    return insert_or_ignore(session, SupervisionRow, values, ["case_id", "step_key", "level"])


def cases_needing_alarms(session: Session, states: list[str], now: datetime) -> Sequence[CaseRow]:
    """Running cases whose step or case yellow time has come, locked for this process.

    ``SKIP LOCKED`` on PostgreSQL lets a second scheduler pass over the cases the first is
    handling; SQLite ignores it and serialises writers anyway. Either way the unique key of
    ``supervisions`` is what guarantees an alarm is raised once.
    """
    query = (
        select(CaseRow)
        .where(
            CaseRow.state.in_(states),
            or_(CaseRow.step_warn_at <= now, CaseRow.due_warn_at <= now),
        )
        .order_by(CaseRow.id)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(query).all()


def list_supervisions(
    session: Session, where: SupervisionFilter, scope: Scope | None, limit: int, offset: int
) -> Page[SupervisionRow]:
    query = (
        select(SupervisionRow)
        .join(CaseRow, CaseRow.id == SupervisionRow.case_id)
        .where(scope_clause(CaseRow, scope))
        .order_by(SupervisionRow.raised_at.desc(), SupervisionRow.id.desc())
    )
    if where.case_id is not None:
        query = query.where(SupervisionRow.case_id == where.case_id)
    if where.level is not None:
        query = query.where(SupervisionRow.level == where.level)
    return _page(session, query, limit, offset)


def cases_opened_between(
    session: Session, start: datetime, end: datetime, scope: Scope | None
) -> Sequence[CaseRow]:
    query = (
        select(CaseRow)
        .where(CaseRow.opened_at >= start, CaseRow.opened_at < end, scope_clause(CaseRow, scope))
        .order_by(CaseRow.id)
    )
    return session.scalars(query).all()


def timelines_of(session: Session, case_ids: list[int]) -> Sequence[TimelineRow]:
    if not case_ids:
        return []
    query = select(TimelineRow).where(TimelineRow.case_id.in_(case_ids)).order_by(TimelineRow.id)
    return session.scalars(query).all()


def incidents_first_seen_between(
    session: Session, start: datetime, end: datetime, scope: Scope | None
) -> Sequence[IncidentRow]:
    query = (
        select(IncidentRow)
        .where(
            IncidentRow.first_seen_at >= start,
            IncidentRow.first_seen_at < end,
            scope_clause(IncidentRow, scope),
        )
        .order_by(IncidentRow.id)
    )
    return session.scalars(query).all()


def incident_timelines_of(
    session: Session, incident_ids: list[int]
) -> Sequence[IncidentTimelineRow]:
    if not incident_ids:
        return []
    query = (
        select(IncidentTimelineRow)
        .where(IncidentTimelineRow.incident_id.in_(incident_ids))
        .order_by(IncidentTimelineRow.id)
    )
    return session.scalars(query).all()


def set_supervision_target(
    session: Session, case_id: int, step_key: str, level: str, target: str | None
) -> None:
    session.execute(
        update(SupervisionRow)
        .where(
            SupervisionRow.case_id == case_id,
            SupervisionRow.step_key == step_key,
            SupervisionRow.level == level,
        )
        .values(escalated_to=target)
    )


def incidents_by_id(session: Session, incident_ids: list[int | None]) -> Sequence[IncidentRow]:
    ids = [incident_id for incident_id in incident_ids if incident_id is not None]
    if not ids:
        return []
    return session.scalars(select(IncidentRow).where(IncidentRow.id.in_(ids))).all()


def supervision_counts(
    session: Session, start: datetime, end: datetime, scope: Scope | None
) -> dict[str, int]:
    """Alarms raised in [start, end) by level (``yellow``, ``red``), zeros included."""
    query = (
        select(SupervisionRow.level, func.count())
        .join(CaseRow, CaseRow.id == SupervisionRow.case_id)
        .where(
            SupervisionRow.raised_at >= start,
            SupervisionRow.raised_at < end,
            scope_clause(CaseRow, scope),
        )
        .group_by(SupervisionRow.level)
    )
    counts = {"yellow": 0, "red": 0}
    counts.update({level: int(count) for level, count in session.execute(query).all()})
    return counts
