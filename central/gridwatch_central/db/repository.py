"""All SQL of central. Functions take a ``Session``; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from gridwatch_central.db.scoping import grid_match
from gridwatch_central.db.tables import (
    AlertRow,
    CaseRow,
    IncidentRow,
    QuarantineRow,
    TimelineRow,
)

RowT = TypeVar("RowT")


@dataclass(frozen=True, slots=True)
class AlertFilter:
    camera_id: str | None = None
    event_type: str | None = None
    grid_code: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    items: Sequence[RowT]
    total: int


def _insert_ignoring_conflict(
    session: Session, model: type[AlertRow] | type[CaseRow], values: dict[str, Any], key: str
) -> int | None:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING id``; None when the row existed."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(model).on_conflict_do_nothing(index_elements=[key])
    elif dialect == "sqlite":
        statement = sqlite.insert(model).on_conflict_do_nothing(index_elements=[key])
    else:  # pragma: no cover - config validation admits only these two
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    inserted = session.execute(statement.values(**values).returning(model.id)).scalar()
    return int(inserted) if inserted is not None else None


def insert_alert(session: Session, values: dict[str, Any]) -> int | None:
    """Store an alert once per ``alert_id``; returns its row id, or None for a duplicate."""
    return _insert_ignoring_conflict(session, AlertRow, values, "alert_id")


def insert_case(session: Session, values: dict[str, Any]) -> int | None:
    """Open the case of an event once per ``event_id``; None if another alert already did."""
    return _insert_ignoring_conflict(session, CaseRow, values, "event_id")


def set_case_number(session: Session, case_id: int, case_number: str) -> None:
    session.execute(update(CaseRow).where(CaseRow.id == case_id).values(case_number=case_number))


def case_id_for_event(session: Session, event_id: uuid.UUID) -> int | None:
    return session.scalar(select(CaseRow.id).where(CaseRow.event_id == event_id))


def attach_alert(session: Session, alert_row_id: int, case_id: int) -> None:
    session.execute(update(AlertRow).where(AlertRow.id == alert_row_id).values(case_id=case_id))


def append_timeline(session: Session, values: dict[str, Any]) -> None:
    session.add(TimelineRow(**values))
    session.flush()


def insert_quarantine(session: Session, values: dict[str, Any]) -> None:
    session.add(QuarantineRow(**values))
    session.flush()


def _page(session: Session, query: Select[RowT], limit: int, offset: int) -> Page[RowT]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.limit(limit).offset(offset)).all()
    return Page(items=items, total=total or 0)


def list_alerts(session: Session, where: AlertFilter, limit: int, offset: int) -> Page[AlertRow]:
    query = select(AlertRow).order_by(AlertRow.received_at.desc(), AlertRow.id.desc())
    if where.camera_id is not None:
        query = query.where(AlertRow.camera_id == where.camera_id)
    if where.event_type is not None:
        query = query.where(AlertRow.event_type == where.event_type)
    if where.grid_code is not None:
        query = query.where(grid_match(AlertRow, where.grid_code))
    return _page(session, query, limit, offset)


def get_alert(session: Session, alert_id: uuid.UUID) -> AlertRow | None:
    return session.scalar(select(AlertRow).where(AlertRow.alert_id == alert_id))


def get_case(session: Session, case_id: int) -> CaseRow | None:
    query = select(CaseRow).where(CaseRow.id == case_id).options(selectinload(CaseRow.timeline))
    return session.scalar(query)


def alerts_of_case(session: Session, case_id: int) -> Sequence[AlertRow]:
    query = select(AlertRow).where(AlertRow.case_id == case_id).order_by(AlertRow.sequence)
    return session.scalars(query).all()


def list_quarantine(session: Session, limit: int, offset: int) -> Page[QuarantineRow]:
    query = select(QuarantineRow).order_by(QuarantineRow.id.desc())
    return _page(session, query, limit, offset)


def counts(session: Session) -> dict[str, int]:
    """Row counts for summaries: alerts, incidents, cases and rejected (quarantined) messages."""
    tables = {
        "alerts": AlertRow,
        "incidents": IncidentRow,
        "cases": CaseRow,
        "rejected": QuarantineRow,
    }
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in tables.items()
    }


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
