"""ORM tables. Migrations in ``gridwatch_central/migrations`` must match these exactly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gridwatch_central.grid.codes import MAX_GRID_CODE_LENGTH

# Explicit constraint names so that migrations are reproducible across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Codes follow the configurable GridCodeScheme; columns are as wide as the widest it allows.
GRID_CODE_LENGTH = MAX_GRID_CODE_LENGTH


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    grid_l1_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l2_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l3_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    edge_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_alert_id: Mapped[uuid.UUID] = mapped_column(Uuid)

    timeline: Mapped[list[TimelineRow]] = relationship(
        order_by="TimelineRow.id", lazy="raise", viewonly=True
    )


class AlertRow(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    edge_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64), index=True)
    event_type: Mapped[str] = mapped_column(String(32), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    zone_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    confidence: Mapped[float] = mapped_column(Double)
    objects: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    measurements: Mapped[dict[str, float]] = mapped_column(JSON)
    lat: Mapped[float | None] = mapped_column(Double)
    lon: Mapped[float | None] = mapped_column(Double)
    # Where lat/lon came from: "ground" (camera homography), "camera" (registered camera
    # position) or "alert" (the edge's location); None when the alert could not be placed.
    location_source: Mapped[str | None] = mapped_column(String(16))
    grid_l1_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l2_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l3_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    clean_snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)


class TimelineRow(Base):
    """Append-only history of a case: rows are inserted, never updated or deleted."""

    __tablename__ = "case_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class QuarantineRow(Base):
    """A message that was not a valid alert, kept verbatim for diagnosis."""

    __tablename__ = "quarantined_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(512))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    error_code: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


# ---------------------------------------------------------------------------------------------
# Geography (migration 0002_grids_cameras): the imported grid and the registered cameras.
# ---------------------------------------------------------------------------------------------


class GridImportRow(Base):
    """One accepted grid import; the newest row is the grid in force (its id is the version)."""

    __tablename__ = "grid_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # "api" or "file:<path>"; the start-up loader re-imports a file only when its sha256 changed.
    source: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    cell_count: Mapped[int] = mapped_column(Integer)


class GridCellRow(Base):
    """A cell of the grid in force, with its GeoJSON geometry and properties as imported."""

    __tablename__ = "grid_cells"

    code: Mapped[str] = mapped_column(String(GRID_CODE_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer, index=True)
    parent_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH))
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)


class CameraRow(Base):
    """A camera source registered by an integrator. ``rtsp_url`` holds credentials: never
    return or log it unredacted."""

    __tablename__ = "cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    edge_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    rtsp_url: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Double)
    lon: Mapped[float] = mapped_column(Double)
    # Reference points and frame size; the matrix is refitted from them on load.
    homography: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
