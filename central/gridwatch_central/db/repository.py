"""All SQL of central. Functions take a ``Session``; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    false,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import FromClause

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.engine import RetryTransactionError
from gridwatch_central.db.scoping import alert_scope, case_scope
from gridwatch_central.db.tables import AlertRow, CaseRow, QuarantineRow, TimelineRow

RowT = TypeVar("RowT")


@dataclass(frozen=True, slots=True)
class AlertFilter:
    camera_id: str | None = None
    event_type: str | None = None
    grid_code: str | None = None
    state: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    state: str | None = None
    grid_code: str | None = None
    category: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    items: Sequence[RowT]
    total: int


def _upsert_module(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql
    if dialect == "sqlite":
        return sqlite
    raise RuntimeError(f"unsupported database dialect {dialect!r}")  # pragma: no cover


def _insert_all_or_retry(
    session: Session, table: FromClause, key: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows known to be absent; if a concurrent writer got one in first, retry.

    A plain executemany without RETURNING: psycopg runs it as one pipelined prepared
    statement, several times faster than a multi-row ``INSERT … RETURNING`` whose text (and
    so its parsing) changes with every batch size. ``ON CONFLICT DO NOTHING`` keeps a racing
    duplicate out; the row count tells us it happened, and the retry sees the winner's row.
    """
    statement = _upsert_module(session).insert(table).on_conflict_do_nothing(index_elements=[key])
    # preserve_rowcount: SQLAlchemy otherwise drops the driver's summed executemany row count.
    statement = statement.execution_options(preserve_rowcount=True)
    result = session.connection().execute(statement, list(rows))
    if result.rowcount != len(rows):
        raise RetryTransactionError(
            f"a concurrent writer inserted some of these {table.description}"
        )


def insert_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Store alerts once per ``alert_id``; returns the ids that were new."""
    ids = [row["alert_id"] for row in rows]
    if not ids:
        return []
    existing = set(session.scalars(select(AlertRow.alert_id).where(AlertRow.alert_id.in_(ids))))
    new_rows = [row for row in rows if row["alert_id"] not in existing]
    if new_rows:
        _insert_all_or_retry(session, AlertRow.__table__, "alert_id", new_rows)
    return [row["alert_id"] for row in new_rows]


def insert_cases(session: Session, rows: Sequence[dict[str, Any]]) -> dict[uuid.UUID, int]:
    """Open cases for events that have none (the caller checked); returns ``event_id → id``."""
    if not rows:
        return {}
    _insert_all_or_retry(session, CaseRow.__table__, "event_id", rows)
    return case_ids_for_events(session, [row["event_id"] for row in rows])


def case_ids_for_events(session: Session, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not event_ids:
        return {}
    query = select(CaseRow.event_id, CaseRow.id).where(CaseRow.event_id.in_(event_ids))
    return {row.event_id: row.id for row in session.execute(query)}


def set_case_numbers(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk ``UPDATE cases SET case_number`` by primary key; rows are ``{id, case_number}``."""
    if rows:
        session.execute(update(CaseRow), list(rows))


def insert_timeline(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(TimelineRow), list(rows))


def insert_quarantine(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(QuarantineRow), list(rows))


def _grid_match(model: type[AlertRow] | type[CaseRow], code: str) -> ColumnElement[bool]:
    return or_(model.grid_l1_code == code, model.grid_l2_code == code, model.grid_l3_code == code)


def _page(session: Session, query: Select[RowT], limit: int, offset: int) -> Page[RowT]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.limit(limit).offset(offset)).all()
    return Page(items=items, total=total or 0)


def list_alerts(
    session: Session, scope: Scope, where: AlertFilter, limit: int, offset: int
) -> Page[AlertRow]:
    query = select(AlertRow).where(alert_scope(scope))
    query = query.order_by(AlertRow.received_at.desc(), AlertRow.id.desc())
    if where.camera_id is not None:
        query = query.where(AlertRow.camera_id == where.camera_id)
    if where.event_type is not None:
        query = query.where(AlertRow.event_type == where.event_type)
    if where.grid_code is not None:
        query = query.where(_grid_match(AlertRow, where.grid_code))
    if where.state is not None:
        query = query.where(AlertRow.state == where.state)
    if where.received_from is not None:
        query = query.where(AlertRow.received_at >= where.received_from)
    if where.received_to is not None:
        query = query.where(AlertRow.received_at < where.received_to)
    return _page(session, query, limit, offset)


def get_alert(session: Session, scope: Scope, alert_id: uuid.UUID) -> AlertRow | None:
    query = select(AlertRow).where(AlertRow.alert_id == alert_id, alert_scope(scope))
    return session.scalar(query)


def list_cases(
    session: Session, scope: Scope, where: CaseFilter, limit: int, offset: int
) -> Page[CaseRow]:
    query = select(CaseRow).where(case_scope(scope))
    query = query.order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
    if where.state is not None:
        query = query.where(CaseRow.state == where.state)
    if where.grid_code is not None:
        query = query.where(_grid_match(CaseRow, where.grid_code))
    if where.category is not None:
        query = query.where(CaseRow.category == where.category)
    if where.opened_from is not None:
        query = query.where(CaseRow.opened_at >= where.opened_from)
    if where.opened_to is not None:
        query = query.where(CaseRow.opened_at < where.opened_to)
    return _page(session, query, limit, offset)


def get_case(session: Session, scope: Scope, case_id: int) -> CaseRow | None:
    query = select(CaseRow).where(CaseRow.id == case_id, case_scope(scope))
    query = query.options(selectinload(CaseRow.timeline))
    return session.scalar(query)


def alerts_of_case(session: Session, case_id: int) -> Sequence[AlertRow]:
    query = select(AlertRow).where(AlertRow.case_id == case_id).order_by(AlertRow.sequence)
    return session.scalars(query).all()


def list_quarantine(session: Session, scope: Scope, limit: int, offset: int) -> Page[QuarantineRow]:
    """Rejected messages never reached a grid, so only an unrestricted scope sees them."""
    query = select(QuarantineRow).where(true() if scope.unrestricted else false())
    query = query.order_by(QuarantineRow.id.desc())
    return _page(session, query, limit, offset)


# A case in one of these states is finished; its evidence falls under snapshot retention.
FINISHED_CASE_STATES = ("CLOSED", "EVALUATED", "VOIDED")


def snapshots_of_open_cases(session: Session) -> set[str]:
    """Snapshot hashes referenced by an alert of a case that is not finished."""
    query = (
        select(AlertRow.snapshot_sha256)
        .join(CaseRow, AlertRow.case_id == CaseRow.id)
        .where(AlertRow.snapshot_sha256.is_not(None), CaseRow.state.not_in(FINISHED_CASE_STATES))
        .distinct()
    )
    return {digest for digest in session.scalars(query) if digest is not None}


def counts(session: Session) -> dict[str, int]:
    """Row counts for summaries: alerts, cases and rejected (quarantined) messages."""
    tables = {"alerts": AlertRow, "cases": CaseRow, "rejected": QuarantineRow}
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in tables.items()
    }


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
