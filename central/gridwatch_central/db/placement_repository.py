"""SQL of placing a batch of new alerts into incidents: a fixed number of statements per batch.

Ingest resolves the incidents of all events in a batch at once (``incidents.placement``); these
are its reads and writes. Each takes the whole batch, so a batch of 200 alerts costs about ten
round trips instead of several per event.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, select, text
from sqlalchemy.orm import Session

from gridwatch_central.db.dialect import dialect_insert
from gridwatch_central.db.incident_repository import CLOSED_CASE_STATES, OPEN_STATUSES
from gridwatch_central.db.tables import (
    CaseRow,
    IncidentEventRow,
    IncidentRow,
    IncidentTimelineRow,
)

# SQLite parses ``a OR b OR …`` into a tree one level deeper per term and refuses expressions
# deeper than 1000 levels; 200 areas per statement stay far below that. A batch with more new
# events than this (batch_max allows 5000) costs one more statement per 200.
AREAS_PER_STATEMENT = 200


@dataclass(frozen=True, slots=True)
class SearchArea:
    """Where one new event looks for an incident to join: a lat/lon box (south, west, north,
    east), or, for an alert without a location, the incidents without one of its camera."""

    box: tuple[float, float, float, float] | None
    camera_id: str


@dataclass(frozen=True, slots=True)
class CandidateRow:
    """What merging needs of an open incident; the row itself is locked only once chosen."""

    id: int
    category: str
    lat: float | None
    lon: float | None
    camera_id: str
    last_seen_at: datetime


def incidents_of_events(session: Session, event_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """The incident each of ``event_ids`` is already tied to (absent: none yet)."""
    if not event_ids:
        return {}
    query = select(IncidentEventRow.event_id, IncidentEventRow.incident_id).where(
        IncidentEventRow.event_id.in_(list(event_ids))
    )
    return {row.event_id: row.incident_id for row in session.execute(query)}


def lock_events(session: Session, event_ids: Collection[uuid.UUID]) -> None:
    """Hold each event until commit against other central processes placing it too.

    PostgreSQL: a transaction-scoped advisory lock per event, taken before the event links are
    read, so that two processes that both received alerts of one new event do not both open an
    incident for it: the second waits, then reads the first one's link. The keys are taken in
    sorted order, so two processes cannot deadlock on them. SQLite has one writer at a time
    (the alert transaction holds the database lock): nothing to do.
    """
    if session.get_bind().dialect.name != "postgresql" or not event_ids:
        return
    keys = sorted({_lock_key(event_id) for event_id in event_ids})
    # unnest yields the sorted array in order, so the locks are taken in that order.
    statement = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")
    session.execute(statement, {"keys": keys})


def _lock_key(event_id: uuid.UUID) -> int:
    """A signed 64-bit advisory lock key; two events sharing one only wait for each other."""
    return int.from_bytes(event_id.bytes[:8], "big", signed=True)


def merge_candidates(
    session: Session,
    categories: Collection[str],
    since: datetime,
    areas: Sequence[SearchArea],
    also: Collection[int] = (),
) -> list[CandidateRow]:
    """Open incidents of ``categories`` in any of ``areas``, seen since ``since`` (or listed in
    ``also``: incidents the batch itself refreshes before its new events are placed)."""
    if not areas or not categories:
        return []
    seen: dict[int, CandidateRow] = {}
    unique = list(dict.fromkeys(areas))  # alerts of one camera without location share one area
    for start in range(0, len(unique), AREAS_PER_STATEMENT):
        chunk = unique[start : start + AREAS_PER_STATEMENT]
        recent: ColumnElement[bool] = IncidentRow.last_seen_at >= since
        if also:
            recent = or_(recent, IncidentRow.id.in_(sorted(also)))
        query = (
            select(
                IncidentRow.id,
                IncidentRow.category,
                IncidentRow.lat,
                IncidentRow.lon,
                IncidentRow.camera_id,
                IncidentRow.last_seen_at,
            )
            .outerjoin(CaseRow, CaseRow.incident_id == IncidentRow.id)
            .where(
                IncidentRow.category.in_(sorted(categories)),
                IncidentRow.status.in_(OPEN_STATUSES),
                recent,
                or_(CaseRow.id.is_(None), CaseRow.state.not_in(CLOSED_CASE_STATES)),
                or_(*[_area_clause(area) for area in chunk]),
            )
        )
        for row in session.execute(query):
            seen[row.id] = CandidateRow(
                row.id, row.category, row.lat, row.lon, row.camera_id, row.last_seen_at
            )
    return list(seen.values())


def _area_clause(area: SearchArea) -> ColumnElement[bool]:
    if area.box is None:
        return and_(IncidentRow.lat.is_(None), IncidentRow.camera_id == area.camera_id)
    south, west, north, east = area.box
    return and_(IncidentRow.lat.between(south, north), IncidentRow.lon.between(west, east))


def lock_incidents(
    session: Session, incident_ids: Collection[int]
) -> dict[int, tuple[IncidentRow, CaseRow | None]]:
    """The rows of ``incident_ids`` with their cases; the incidents locked until commit, in
    id order (two processes cannot deadlock on them)."""
    if not incident_ids:
        return {}
    query = (
        select(IncidentRow, CaseRow)
        .outerjoin(CaseRow, CaseRow.incident_id == IncidentRow.id)
        .where(IncidentRow.id.in_(sorted(incident_ids)))
        .order_by(IncidentRow.id)
        .with_for_update(of=IncidentRow)
    )
    return {incident.id: (incident, case) for incident, case in session.execute(query)}


def insert_incidents(session: Session, rows: Sequence[IncidentRow]) -> None:
    """Insert new incidents; their ids are set on return (one multi-row INSERT … RETURNING)."""
    if rows:
        session.add_all(rows)
        session.flush()


def link_events(session: Session, links: dict[uuid.UUID, int]) -> set[uuid.UUID]:
    """Tie events to incidents; returns the events tied now (another writer may have won)."""
    if not links:
        return set()
    table = IncidentEventRow.__table__
    values = [{"event_id": event, "incident_id": incident} for event, incident in links.items()]
    statement = (
        dialect_insert(session, table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )
    return set(session.scalars(statement))


def append_timelines(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(IncidentTimelineRow), list(rows))
