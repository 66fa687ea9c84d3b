"""SQL of the config push: per-edge revisions, what still has to be published, and what the
edges report back about it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gridwatch_central.db.tables import CameraHealthRow, CameraRow, EdgeRow


@dataclass(frozen=True, slots=True)
class ConfigReportRow:
    """An edge's ``ConfigReport``, as stored."""

    applied_revision: int | None
    rejected_revision: int | None
    error: str | None
    camera_errors: dict[str, str]


def bump_revision(session: Session, edge_id: str) -> int:
    """The edge's next config revision, marked for publishing (the edge row is created if
    central never heard of the edge). Locks the row until the transaction ends, so concurrent
    changes of one edge's cameras get distinct revisions in commit order."""
    row = session.get(EdgeRow, edge_id, with_for_update=True)
    if row is None:
        row = EdgeRow(id=edge_id, registered=False, config_revision=0, config_dirty=False)
        session.add(row)
        session.flush()
    row.config_revision += 1
    row.config_dirty = True
    return row.config_revision


def lock_edge(session: Session, edge_id: str) -> EdgeRow | None:
    return session.get(EdgeRow, edge_id, with_for_update=True)


def get_edge(session: Session, edge_id: str) -> EdgeRow | None:
    return session.get(EdgeRow, edge_id)


def dirty_edges(session: Session) -> list[str]:
    return list(session.scalars(select(EdgeRow.id).where(EdgeRow.config_dirty.is_(True))))


def mark_published(session: Session, row: EdgeRow, revision: int, at: datetime) -> None:
    """Clears the dirty mark only if no newer change came meanwhile."""
    session.execute(
        update(EdgeRow)
        .where(EdgeRow.id == row.id, EdgeRow.config_revision == revision)
        .values(config_dirty=False, config_published_at=at)
    )


def enabled_cameras(session: Session, edge_id: str) -> Sequence[CameraRow]:
    query = select(CameraRow).where(CameraRow.edge_id == edge_id, CameraRow.enabled.is_(True))
    return session.scalars(query.order_by(CameraRow.id)).all()


def record_report(session: Session, edge_id: str, report: ConfigReportRow) -> None:
    """What the edge says it runs; a report about an older revision than one already stored
    (a retained status replayed after a newer live one) changes nothing."""
    row = session.get(EdgeRow, edge_id)
    if row is None:
        return
    newest = max(report.applied_revision or 0, report.rejected_revision or 0)
    known = max(row.applied_revision or 0, row.rejected_revision or 0)
    if newest < known:
        return
    row.applied_revision = report.applied_revision
    row.rejected_revision = report.rejected_revision
    row.config_error = report.error
    errors: dict[str, Any] = dict(report.camera_errors)
    row.camera_errors = errors or None


def edges_by_id(session: Session, edge_ids: set[str]) -> dict[str, EdgeRow]:
    if not edge_ids:
        return {}
    rows = session.scalars(select(EdgeRow).where(EdgeRow.id.in_(edge_ids)))
    return {row.id: row for row in rows}


def register_edge(
    session: Session,
    edge_id: str,
    *,
    name: str,
    grid_code: str | None,
    broker_username: str,
    now: datetime,
) -> EdgeRow:
    row = session.get(EdgeRow, edge_id, with_for_update=True)
    if row is None:
        row = EdgeRow(id=edge_id, config_revision=0, config_dirty=False)
        session.add(row)
    row.registered = True
    row.name = name
    row.grid_code = grid_code
    row.broker_username = broker_username
    row.registered_at = now
    session.flush()
    return row


def rename_edge(session: Session, row: EdgeRow, *, name: str, grid_code: str | None) -> None:
    row.name = name
    row.grid_code = grid_code
    session.flush()


def delete_edge(session: Session, row: EdgeRow) -> None:
    session.execute(delete(CameraHealthRow).where(CameraHealthRow.edge_id == row.id))
    session.delete(row)
    session.flush()
