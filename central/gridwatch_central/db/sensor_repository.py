"""All SQL of sensors: the registry, rule states, samples, batch ids and alert links."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, insert, or_, select, update
from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.dialect import dialect_insert
from gridwatch_central.db.engine import RetryTransactionError
from gridwatch_central.db.repository import Page
from gridwatch_central.db.scoping import grid_match
from gridwatch_central.db.tables import (
    AlertLinkRow,
    AlertRow,
    CaseRow,
    IncidentRow,
    SensorBatchRow,
    SensorRow,
    SensorSampleRow,
    SensorStateRow,
)

# --- registry ------------------------------------------------------------------------------


def get_sensor(session: Session, sensor_id: str) -> SensorRow | None:
    return session.get(SensorRow, sensor_id)


def all_sensors(session: Session) -> Sequence[SensorRow]:
    return session.scalars(select(SensorRow).order_by(SensorRow.id)).all()


def sensors_changed_at(session: Session) -> tuple[int, datetime | None]:
    """(count, newest update): changes when any process adds, edits or deletes a sensor."""
    row = session.execute(select(func.count(), func.max(SensorRow.updated_at))).one()
    return int(row[0]), row[1]


def list_sensors(
    session: Session,
    scope: Scope,
    *,
    sensor_type: str | None,
    gateway_id: str | None,
    grid_code: str | None,
    limit: int,
    offset: int,
) -> Page[SensorRow]:
    query = select(SensorRow).order_by(SensorRow.id)
    if not scope.unrestricted:
        query = query.where(_in_scope(scope))
    if sensor_type is not None:
        query = query.where(SensorRow.sensor_type == sensor_type)
    if gateway_id is not None:
        query = query.where(SensorRow.gateway_id == gateway_id)
    if grid_code is not None:
        query = query.where(grid_match(SensorRow, grid_code))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.limit(limit).offset(offset)).all()
    return Page(items=items, total=total or 0)


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    if not scope.grid_prefixes:
        return false()
    columns = (SensorRow.grid_l1_code, SensorRow.grid_l2_code, SensorRow.grid_l3_code)
    return or_(*(column.startswith(prefix) for prefix in scope.grid_prefixes for column in columns))


def existing_sensor_ids(session: Session, sensor_ids: Collection[str]) -> set[str]:
    if not sensor_ids:
        return set()
    return set(session.scalars(select(SensorRow.id).where(SensorRow.id.in_(list(sensor_ids)))))


def upsert_sensors(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace sensors by id (``created_at`` of an existing one is kept)."""
    if not rows:
        return
    statement = dialect_insert(session, SensorRow)
    replaced = {
        column: statement.excluded[column]
        for column in rows[0]
        if column not in {"id", "created_at"}
    }
    session.execute(
        statement.on_conflict_do_update(index_elements=["id"], set_=replaced), list(rows)
    )


def delete_sensor(session: Session, sensor_id: str) -> bool:
    row = session.get(SensorRow, sensor_id)
    if row is None:
        return False
    session.delete(row)
    state = session.get(SensorStateRow, sensor_id)
    if state is not None:
        session.delete(state)
    return True


# --- idempotency -----------------------------------------------------------------------------


def stored_batch_ids(session: Session, message_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    if not message_ids:
        return set()
    query = select(SensorBatchRow.message_id).where(
        SensorBatchRow.message_id.in_(list(message_ids))
    )
    return set(session.scalars(query))


def insert_batches(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Record batches found absent; a racing process that stored one first makes us retry
    (the retry then sees it as a duplicate)."""
    if not rows:
        return
    statement = dialect_insert(session, SensorBatchRow).on_conflict_do_nothing(
        index_elements=["message_id"]
    )
    result = session.connection().execute(
        statement.execution_options(preserve_rowcount=True), list(rows)
    )
    if result.rowcount != len(rows):
        raise RetryTransactionError("another central process stored some of these batches")


# --- rule states -----------------------------------------------------------------------------


def lock_states(session: Session, sensor_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The rule states of ``sensor_ids`` (those that have one), locked until commit in id
    order, so that two processes handling one sensor take turns and cannot deadlock."""
    if not sensor_ids:
        return {}
    table = SensorStateRow.__table__
    query = (
        select(table)
        .where(table.c.sensor_id.in_(sorted(sensor_ids)))
        .order_by(table.c.sensor_id)
        .with_for_update()
    )
    return {row.sensor_id: dict(row._mapping) for row in session.execute(query)}


def insert_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """First states of sensors heard for the first time; a race with another process retries
    the transaction, which then finds (and locks) the winner's row."""
    if not rows:
        return
    statement = dialect_insert(session, SensorStateRow).on_conflict_do_nothing(
        index_elements=["sensor_id"]
    )
    result = session.connection().execute(
        statement.execution_options(preserve_rowcount=True), sorted(rows, key=_sensor_key)
    )
    if result.rowcount != len(rows):
        raise RetryTransactionError("another central process created some of these states")


def update_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write changed states back (one pipelined executemany)."""
    if not rows:
        return
    # ORM bulk UPDATE by primary key: one executemany, pipelined by psycopg.
    session.execute(update(SensorStateRow), [dict(row) for row in sorted(rows, key=_sensor_key)])


def _sensor_key(row: Mapping[str, Any]) -> str:
    return str(row["sensor_id"])


def silent_sensors(session: Session, seen_before: datetime) -> Sequence[tuple[str, datetime]]:
    """(sensor, last seen) of sensors online but not heard from since ``seen_before``."""
    query = select(SensorStateRow.sensor_id, SensorStateRow.last_seen_at).where(
        SensorStateRow.offline.is_(False), SensorStateRow.last_seen_at < seen_before
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def mark_offline(session: Session, sensor_id: str, last_seen_at: datetime) -> bool:
    """Mark the sensor offline if it still is as seen; True only for the one process that did.

    The condition is the single-fire guard: a second watchdog (another central process) waits
    on the row lock, then finds it offline already; a record that arrived meanwhile moved
    ``last_seen_at`` and the sensor is not offline after all.
    """
    statement = (
        update(SensorStateRow)
        .where(
            and_(
                SensorStateRow.sensor_id == sensor_id,
                SensorStateRow.offline.is_(False),
                SensorStateRow.last_seen_at == last_seen_at,
            )
        )
        .values(offline=True)
        .execution_options(synchronize_session=False)
    )
    return session.connection().execute(statement).rowcount == 1


def insert_samples(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SensorSampleRow), list(rows))


def samples_of(
    session: Session, sensor_id: str, since: datetime | None, limit: int
) -> Sequence[SensorSampleRow]:
    query = select(SensorSampleRow).where(SensorSampleRow.sensor_id == sensor_id)
    if since is not None:
        query = query.where(SensorSampleRow.observed_at >= since)
    query = query.order_by(SensorSampleRow.observed_at.desc()).limit(limit)
    return session.scalars(query).all()


def get_state(session: Session, sensor_id: str) -> SensorStateRow | None:
    return session.get(SensorStateRow, sensor_id)


def states_of(session: Session, sensor_ids: Collection[str]) -> dict[str, SensorStateRow]:
    if not sensor_ids:
        return {}
    query = select(SensorStateRow).where(SensorStateRow.sensor_id.in_(list(sensor_ids)))
    return {row.sensor_id: row for row in session.scalars(query)}


# --- 视频联动: links between sensor alerts and camera pictures ----------------------------------


def insert_links(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert link rows; their ids by camera id (one alert per call)."""
    ids: dict[str, int] = {}
    for row in rows:
        link = AlertLinkRow(**row)
        session.add(link)
        session.flush()
        ids[link.camera_id] = link.id
    return ids


def resolve_link(session: Session, link_id: int, values: dict[str, Any]) -> None:
    session.execute(update(AlertLinkRow).where(AlertLinkRow.id == link_id).values(**values))


def links_of(session: Session, alert_ids: Collection[uuid.UUID]) -> Sequence[AlertLinkRow]:
    if not alert_ids:
        return []
    query = (
        select(AlertLinkRow)
        .where(AlertLinkRow.alert_id.in_(list(alert_ids)))
        .order_by(AlertLinkRow.id)
    )
    return session.scalars(query).all()


def sensor_picture(
    session: Session, sensor_id: str, camera_id: str
) -> tuple[uuid.UUID, str | None] | None:
    """(alert, its case number if any) of the sensor's newest alert with a picture of
    ``camera_id`` attached; None while there is none."""
    query = (
        select(AlertLinkRow.alert_id, CaseRow.case_number)
        .join(AlertRow, AlertRow.alert_id == AlertLinkRow.alert_id)
        .outerjoin(CaseRow, CaseRow.id == AlertRow.case_id)
        .where(
            AlertRow.source == "sensor",
            AlertRow.camera_id == sensor_id,
            AlertLinkRow.camera_id == camera_id,
            AlertLinkRow.status == "attached",
        )
        .order_by(AlertLinkRow.id.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    return (row[0], row[1]) if row is not None else None


def alert_by_id(session: Session, alert_id: uuid.UUID) -> AlertRow | None:
    return session.scalar(select(AlertRow).where(AlertRow.alert_id == alert_id))


def alerts_of_event(session: Session, event_id: uuid.UUID) -> Sequence[AlertRow]:
    query = select(AlertRow).where(AlertRow.event_id == event_id).order_by(AlertRow.sequence)
    return session.scalars(query).all()


def set_alert_snapshot_if_none(session: Session, alert_id: uuid.UUID, sha256: str) -> None:
    session.execute(
        update(AlertRow)
        .where(AlertRow.alert_id == alert_id, AlertRow.snapshot_sha256.is_(None))
        .values(snapshot_sha256=sha256)
    )


def set_incident_snapshot_if_none(session: Session, incident_id: int, sha256: str) -> None:
    session.execute(
        update(IncidentRow)
        .where(IncidentRow.id == incident_id, IncidentRow.best_snapshot_sha256.is_(None))
        .values(best_snapshot_sha256=sha256)
    )


# --- metrics -------------------------------------------------------------------------------


def sensor_alerts_between(
    session: Session,
    start: datetime | None,
    end: datetime,
    event_types: Collection[str],
    *,
    excluded: bool = False,
) -> Sequence[AlertRow]:
    """Sensor alerts received in [start, end) of the given event types (or, ``excluded``,
    of every other type), oldest first."""
    kinds = AlertRow.event_type.in_(list(event_types))
    query = select(AlertRow).where(
        AlertRow.source == "sensor",
        AlertRow.received_at < end,
        ~kinds if excluded else kinds,
    )
    if start is not None:
        query = query.where(AlertRow.received_at >= start)
    return session.scalars(query.order_by(AlertRow.received_at, AlertRow.id)).all()


def types_of_sensors(session: Session, sensor_ids: Collection[str]) -> dict[str, str]:
    if not sensor_ids:
        return {}
    query = select(SensorRow.id, SensorRow.sensor_type).where(SensorRow.id.in_(list(sensor_ids)))
    return {row[0]: row[1] for row in session.execute(query)}


def sensor_incidents_between(
    session: Session, start: datetime, end: datetime
) -> Sequence[IncidentRow]:
    query = select(IncidentRow).where(
        IncidentRow.source == "sensor",
        IncidentRow.first_seen_at >= start,
        IncidentRow.first_seen_at < end,
    )
    return session.scalars(query).all()
