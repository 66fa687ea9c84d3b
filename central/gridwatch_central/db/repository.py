"""All SQL of central. Functions take a ``Session``; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    Select,
    false,
    func,
    insert,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import FromClause

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.dialect import dialect_insert
from gridwatch_central.db.engine import RetryTransactionError
from gridwatch_central.db.scoping import alert_scope, grid_match
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
    state: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[RowT]):
    items: Sequence[RowT]
    total: int


def _insert_all_or_retry(
    session: Session, table: FromClause, key: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows known to be absent; if a concurrent writer got one in first, retry.

    A plain executemany without RETURNING: psycopg runs it as one pipelined prepared
    statement, several times faster than a multi-row ``INSERT … RETURNING`` whose text (and
    so its parsing) changes with every batch size. ``ON CONFLICT DO NOTHING`` keeps a racing
    duplicate out; the row count tells us it happened, and the retry sees the winner's row.
    """
    statement = dialect_insert(session, table).on_conflict_do_nothing(index_elements=[key])
    # preserve_rowcount: SQLAlchemy otherwise drops the driver's summed executemany row count.
    statement = statement.execution_options(preserve_rowcount=True)
    result = session.connection().execute(statement, list(rows))
    if result.rowcount != len(rows):
        raise RetryTransactionError(
            f"a concurrent writer inserted some of these {table.description}"
        )


def insert_case(session: Session, values: dict[str, Any]) -> int | None:
    """Open a case once per ``event_id``; returns its row id, or None if one was opened."""
    statement = dialect_insert(session, CaseRow).on_conflict_do_nothing(index_elements=["event_id"])
    inserted = session.execute(statement.values(**values).returning(CaseRow.id)).scalar()
    return int(inserted) if inserted is not None else None


def stored_alert_ids(session: Session, alert_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Which of ``alert_ids`` are stored already (redeliveries)."""
    if not alert_ids:
        return set()
    query = select(AlertRow.alert_id).where(AlertRow.alert_id.in_(list(alert_ids)))
    return set(session.scalars(query))


def insert_new_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Store alerts that ``stored_alert_ids`` found absent; retries if a racing writer won."""
    if rows:
        _insert_all_or_retry(session, AlertRow.__table__, "alert_id", rows)


def insert_quarantine(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(QuarantineRow), list(rows))


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
        query = query.where(grid_match(AlertRow, where.grid_code))
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


def alerts_by_ids(
    session: Session, scope: Scope, alert_ids: Collection[uuid.UUID]
) -> Sequence[AlertRow]:
    """The alerts of ``alert_ids`` that ``scope`` may see, in one query."""
    if not alert_ids:
        return []
    query = select(AlertRow).where(AlertRow.alert_id.in_(list(alert_ids)), alert_scope(scope))
    return session.scalars(query).all()


def get_case(session: Session, case_id: int) -> CaseRow | None:
    query = select(CaseRow).where(CaseRow.id == case_id).options(selectinload(CaseRow.timeline))
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
# An incident in this status has not been reviewed yet; its pictures are what the operator needs.
PENDING_REVIEW = "PENDING"


def snapshots_of_open_cases(session: Session) -> set[str]:
    """Snapshot hashes that are still evidence: of an alert whose case is not finished, or
    whose incident still waits for an operator's review."""
    of_open_cases = (
        select(AlertRow.snapshot_sha256)
        .join(CaseRow, AlertRow.case_id == CaseRow.id)
        .where(AlertRow.snapshot_sha256.is_not(None), CaseRow.state.not_in(FINISHED_CASE_STATES))
    )
    awaiting_review = (
        select(AlertRow.snapshot_sha256)
        .join(IncidentRow, AlertRow.incident_id == IncidentRow.id)
        .where(AlertRow.snapshot_sha256.is_not(None), IncidentRow.status == PENDING_REVIEW)
    )
    query = of_open_cases.union(awaiting_review)
    found = {digest for digest in session.scalars(query) if digest is not None}
    # Photos attached to the steps of open cases (反馈 with a photo) are evidence too.
    attached = (
        select(TimelineRow.attachments)
        .join(CaseRow, TimelineRow.case_id == CaseRow.id)
        .where(CaseRow.state.not_in(FINISHED_CASE_STATES))
    )
    for attachments in session.scalars(attached):
        found.update(attachments or ())
    return found


def counts(session: Session) -> dict[str, int]:
    """Row counts for summaries: alerts (the edges' camera alerts; sensor alerts are central's
    own), incidents, cases and rejected (quarantined) messages."""
    tables = {
        "incidents": IncidentRow,
        "cases": CaseRow,
        "rejected": QuarantineRow,
    }
    cameras = select(func.count()).select_from(AlertRow).where(AlertRow.source == "camera")
    found = {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in tables.items()
    }
    return {"alerts": session.scalar(cameras) or 0} | found


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
