"""ORM tables. Migrations in ``gridwatch_central/migrations`` must match these exactly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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

# Explicit constraint names so that migrations are reproducible across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GRID_CODE_LENGTH = 15


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
    grid_l1_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l2_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l3_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
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
# Access (migration 0004_access): people and integrators' API keys, each with a role and a
# scope (grid code prefixes, departments). Scopes are small JSON lists of strings: a user has a
# handful of grids, and the lists are read with the row on every request anyway.
# ---------------------------------------------------------------------------------------------


class _Grant:
    """Role and scope, shared by people and API keys."""

    role: Mapped[str] = mapped_column(String(32))
    grid_prefixes: Mapped[list[str]] = mapped_column(JSON)
    departments: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserRow(_Grant, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean)


class ApiKeyRow(_Grant, Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
