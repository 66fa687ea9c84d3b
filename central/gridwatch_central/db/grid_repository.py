"""All SQL of the geography: the grid in force, its import history and the cameras."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from gridwatch_central.db.tables import CameraRow, GridCellRow, GridImportRow


def grid_version(session: Session) -> int | None:
    """Id of the newest grid import (the grid in force), None before the first import."""
    return session.scalar(select(func.max(GridImportRow.id)))


def latest_import(session: Session, source: str | None = None) -> GridImportRow | None:
    query = select(GridImportRow).order_by(GridImportRow.id.desc()).limit(1)
    if source is not None:
        query = query.where(GridImportRow.source == source)
    return session.scalar(query)


def replace_grid(session: Session, cells: list[dict[str, Any]], record: dict[str, Any]) -> int:
    """Swap the whole grid for ``cells`` and record the import; returns the new version."""
    session.execute(delete(GridCellRow))
    if cells:
        session.execute(insert(GridCellRow), cells)
    row = GridImportRow(**record)
    session.add(row)
    session.flush()
    return row.id


def grid_cells(session: Session) -> Sequence[GridCellRow]:
    return session.scalars(select(GridCellRow).order_by(GridCellRow.code)).all()


def get_camera(session: Session, camera_id: str) -> CameraRow | None:
    return session.get(CameraRow, camera_id)


def list_cameras(session: Session, edge_id: str | None = None) -> Sequence[CameraRow]:
    query = select(CameraRow).order_by(CameraRow.id)
    if edge_id is not None:
        query = query.where(CameraRow.edge_id == edge_id)
    return session.scalars(query).all()


def add_camera(session: Session, values: dict[str, Any]) -> CameraRow:
    row = CameraRow(**values)
    session.add(row)
    session.flush()
    return row


def update_camera(session: Session, row: CameraRow, values: dict[str, Any]) -> CameraRow:
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return row


def delete_camera(session: Session, row: CameraRow) -> None:
    session.delete(row)
    session.flush()


def cameras_changed_at(session: Session) -> tuple[int, datetime | None]:
    """(count, newest update): changes whenever a camera is added, edited or removed."""
    count, newest = session.execute(
        select(func.count(), func.max(CameraRow.updated_at)).select_from(CameraRow)
    ).one()
    return int(count), newest
