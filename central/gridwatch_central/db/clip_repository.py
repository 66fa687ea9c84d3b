"""SQL of evidence clips (``clips``, and ``alerts.clip_id``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.repository import FINISHED_CASE_STATES, PENDING_REVIEW
from gridwatch_central.db.scoping import alert_scope, insert_or_ignore
from gridwatch_central.db.tables import AlertRow, CaseRow, ClipRow, IncidentRow

STORED = "stored"
UNAVAILABLE = "unavailable"
EXPIRED = "expired"


def find(session: Session, clip_id: uuid.UUID) -> ClipRow | None:
    return session.get(ClipRow, clip_id)


def insert(session: Session, values: dict[str, Any]) -> bool:
    """File a clip's fate; False when the clip has one already (a repeated upload)."""
    return insert_or_ignore(session, ClipRow, values, ["clip_id"])


def by_ids(session: Session, clip_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ClipRow]:
    if not clip_ids:
        return {}
    rows = session.scalars(select(ClipRow).where(ClipRow.clip_id.in_(list(clip_ids))))
    return {row.clip_id: row for row in rows}


def announced_in_scope(session: Session, scope: Scope, clip_id: uuid.UUID) -> bool:
    """True when an alert the caller may see announces ``clip_id``: clips are scoped by the
    alerts that carry them, exactly as snapshots are."""
    query = select(AlertRow.id).where(AlertRow.clip_id == clip_id, alert_scope(scope)).limit(1)
    return session.scalar(query) is not None


def incidents_awaiting_review(session: Session, clip_id: uuid.UUID) -> list[int]:
    """The incidents awaiting review whose alerts announce ``clip_id``."""
    query = (
        select(IncidentRow.id)
        .join(AlertRow, AlertRow.incident_id == IncidentRow.id)
        .where(AlertRow.clip_id == clip_id, IncidentRow.status == PENDING_REVIEW)
        .distinct()
    )
    return list(session.scalars(query))


def clips_of_open_cases(session: Session) -> set[uuid.UUID]:
    """Clips still evidence: of an alert whose case is not finished, or whose incident waits
    for an operator's review (the snapshots' rule)."""
    of_open_cases = (
        select(AlertRow.clip_id)
        .join(CaseRow, AlertRow.case_id == CaseRow.id)
        .where(AlertRow.clip_id.is_not(None), CaseRow.state.not_in(FINISHED_CASE_STATES))
    )
    awaiting_review = (
        select(AlertRow.clip_id)
        .join(IncidentRow, AlertRow.incident_id == IncidentRow.id)
        .where(AlertRow.clip_id.is_not(None), IncidentRow.status == PENDING_REVIEW)
    )
    query = of_open_cases.union(awaiting_review)
    return {clip_id for clip_id in session.scalars(query) if clip_id is not None}


def stored_before(session: Session, cutoff: datetime) -> Sequence[ClipRow]:
    """Stored clips filed before ``cutoff`` (clips are rare: thousands, not millions)."""
    query = select(ClipRow).where(ClipRow.status == STORED, ClipRow.stored_at < cutoff)
    return session.scalars(query).all()


def mark_expired(session: Session, clip_ids: Collection[uuid.UUID]) -> None:
    """Retention deleted their files: the rows stay, so the API says "expired", not pending."""
    if clip_ids:
        session.execute(
            update(ClipRow)
            .where(ClipRow.clip_id.in_(list(clip_ids)))
            .values(status=EXPIRED, path=None)
        )
