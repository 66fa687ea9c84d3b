"""ORM tables. Migrations in ``gridwatch_central/migrations`` must match these exactly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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
    UniqueConstraint,
    Uuid,
    false,
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
    # --- case loop (migration 0003_case_loop) ---
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id"), index=True, unique=True
    )
    department: Mapped[str | None] = mapped_column(String(64), index=True)
    area_class: Mapped[str | None] = mapped_column(String(32))
    # 3 micro-grid, 2 community, 1 street/town, 0 district: where the case is handled now.
    handling_level: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Deadline of the current step, and the key of the step instance (for supervision records).
    step_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    step_key: Mapped[str | None] = mapped_column(String(64))
    # When the yellow (80 %) alarm of the step / the case is due: what the scheduler scans.
    step_warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    due_warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Bumped when an extension moves due_at, so the moved deadline can be supervised again.
    due_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    held_state: Mapped[str | None] = mapped_column(String(32))
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

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
    # --- case loop (migration 0003_case_loop) ---
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    # --- clips (migration 0011_clips): the event's clip, announced before it arrives ---
    clip_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # --- sensors (migration 0012_sensors) ---
    # "camera" (an edge's alert) or "sensor" (central's rules on a sensor's records). For a
    # sensor alert camera_id names the source device (the sensor) and edge_id its gateway;
    # event_type is the sensor type; the linked cameras' pictures are in alert_links.
    source: Mapped[str] = mapped_column(
        String(16), default="camera", server_default="camera", index=True
    )


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
    # --- case loop (migration 0003_case_loop) ---
    actor_role: Mapped[str | None] = mapped_column(String(32))
    attachments: Mapped[list[str] | None] = mapped_column(JSON)
    # Facts the metrics need, as they were at this moment: deadlines, department, level, score.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class QuarantineRow(Base):
    """A message ingest refused, kept for diagnosis: its first bytes, its size and its hash."""

    __tablename__ = "quarantined_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(512))
    # At most the first 64 KiB (ingest.quarantine); the whole message when it was smaller.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    error_code: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # --- ingest hardening (migration 0007_ingest_hardening) ---
    payload_size: Mapped[int] = mapped_column(BigInteger)  # of the whole message
    # Of the whole message; None when it failed after decoding (central kept only its header).
    payload_sha256: Mapped[str | None] = mapped_column(String(64))


class SnapshotIndexRow(Base):
    """Where a snapshot image is: its bytes in an append-only pack file (migration 0006).

    Alerts refer to images by ``sha256``; this row says which pack holds them. Inserted in the
    transaction of the alerts that refer to the image, so a rolled-back batch leaves bytes in a
    pack but no row pointing at them.
    """

    __tablename__ = "snapshot_index"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Retention deletes a pack's rows together with the pack: found by this index.
    pack: Mapped[str] = mapped_column(String(64), index=True)
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClipRow(Base):
    """An evidence clip an alert announced (migration 0011_clips), once its fate is known.

    ``stored``: the MP4 is at ``path`` (relative to the clip folder); ``unavailable``: the edge
    said it will never come (``reason``); ``expired``: retention deleted its file. A clip an
    alert announced without a row here is pending.
    """

    __tablename__ = "clips"

    clip_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    edge_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    path: Mapped[str | None] = mapped_column(String(256))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    codec: Mapped[str | None] = mapped_column(String(16))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # Edge clock: the clip's first and last frame, and the moment the event opened.
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    event_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reason: Mapped[str | None] = mapped_column(Text)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


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
    """A camera source registered by an integrator. ``url_encrypted`` holds the stream URL
    with its credentials (Fernet, central's camera key); ``rtsp_url`` the redacted URL, or
    the plain URL of a row written before 0014_camera_onboarding until central encrypts it."""

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
    url_encrypted: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    heading_deg: Mapped[float | None] = mapped_column(Double)
    national_code: Mapped[str | None] = mapped_column(String(20), index=True)
    # Zones, rules, filters, masks, tracker, motion, analysis fps: a partial CameraConfig.
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The edge config revision that last carried a change of this camera.
    config_revision: Mapped[int] = mapped_column(Integer, default=0)


# ======================================================================================
# Case loop (migration 0003_case_loop): incidents, review, extensions, supervision.
# ======================================================================================


class IncidentRow(Base):
    """One real-world problem: alerts of one category close in space and time, merged."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    # PENDING (awaiting review), VERIFIED, FALSE_ALARM (误报), DUPLICATE.
    status: Mapped[str] = mapped_column(String(16), index=True)
    lat: Mapped[float | None] = mapped_column(Double)
    lon: Mapped[float | None] = mapped_column(Double)
    grid_l1_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l2_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l3_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    place: Mapped[str | None] = mapped_column(String(100), doc="Name of the deepest grid")
    # The source of the first alert: false-alarm rates are counted against it.
    camera_id: Mapped[str] = mapped_column(String(64), index=True)
    edge_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(64))
    model_name: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    alert_count: Mapped[int] = mapped_column(Integer)
    first_alert_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    first_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    best_alert_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    best_confidence: Mapped[float] = mapped_column(Double)
    best_snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    review_reason: Mapped[str | None] = mapped_column(Text)
    # --- sensors (migration 0012_sensors): the source of the first alert, camera or sensor ---
    source: Mapped[str] = mapped_column(String(16), default="camera", server_default="camera")


class IncidentEventRow(Base):
    """Which incident an edge event belongs to: later alerts of the event follow it there."""

    __tablename__ = "incident_events"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)


class IncidentTimelineRow(Base):
    """Append-only history of an incident (opened, merged, verified, rejected, duplicate)."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ExtensionRow(Base):
    """A request for more time (延期); an approved one moves the deadlines by ``hours``."""

    __tablename__ = "case_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    hours: Mapped[float] = mapped_column(Double)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # PENDING/APPROVED/REJECTED
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SupervisionRow(Base):
    """A deadline alarm: yellow (预警, 80 %) or red (督办, overdue, escalated).

    Unique per (case, step instance, level): two scheduler processes racing on one deadline
    insert one row, and only the winner escalates.
    """

    __tablename__ = "supervisions"
    __table_args__ = (UniqueConstraint("case_id", "step_key", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    step_key: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(32))  # a case state, or CASE for the whole case
    level: Mapped[str] = mapped_column(String(8), index=True)  # yellow / red
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    escalated_to: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)


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


# ---------------------------------------------------------------------------------------------
# Edge monitor (migration 0010b_edge_monitor): every edge box central has heard of, and the
# health of each camera it reports. One row per edge, written by every central process from
# the edges' status and stats topics, so all processes (and restarts) show the same picture.
# ---------------------------------------------------------------------------------------------


class EdgeRow(Base):
    """An edge box. Today its identity and what it reports; the edge registry adds its own
    columns here (display name, grid, broker credentials, config revision) and the registered
    cameras already point at ``id`` through ``cameras.edge_id``."""

    __tablename__ = "edges"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # None for an edge registered (0014_camera_onboarding) that has not spoken yet.
    first_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Central's receive time of the newest sign of life (a live status or a stats message):
    # what staleness is measured from. A retained status replayed at subscribe is no sign.
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "online" / "offline" as the status topic last said (the broker's last will says
    # offline); None until a status arrives.
    reported_state: Mapped[str | None] = mapped_column(String(16))
    state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    software_version: Mapped[str | None] = mapped_column(String(64))
    model_name: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(64))
    stats_interval_s: Mapped[float | None] = mapped_column(Double)
    # From the newest stats message; its own clock for ``stats_at``.
    stats_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    uptime_s: Mapped[float | None] = mapped_column(Double)
    outbox_depth: Mapped[int | None] = mapped_column(Integer)
    inference_ms_p50: Mapped[float | None] = mapped_column(Double)
    # The registry (created through /api/v1/edge-registry), absent for an edge only heard of.
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(200))
    grid_code: Mapped[str | None] = mapped_column(String(32))
    broker_username: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Config push: the newest revision, whether it still has to be published, and what the
    # edge last reported on its status topic (ConfigReport).
    config_revision: Mapped[int] = mapped_column(Integer, default=0)
    config_dirty: Mapped[bool] = mapped_column(Boolean, default=False)
    config_published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    applied_revision: Mapped[int | None] = mapped_column(Integer)
    rejected_revision: Mapped[int | None] = mapped_column(Integer)
    config_error: Mapped[str | None] = mapped_column(Text)
    camera_errors: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CameraHealthRow(Base):
    """One camera as its edge last reported it; replaced by every stats message of the edge,
    and gone when the edge stops reporting the camera."""

    __tablename__ = "camera_health"

    edge_id: Mapped[str] = mapped_column(
        ForeignKey("edges.id", ondelete="CASCADE"), primary_key=True
    )
    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    online: Mapped[bool] = mapped_column(Boolean)
    connection: Mapped[str | None] = mapped_column(String(16))
    input_fps: Mapped[float] = mapped_column(Double)
    analysed_fps: Mapped[float] = mapped_column(Double)
    frames_read: Mapped[int] = mapped_column(BigInteger)
    frames_analysed: Mapped[int] = mapped_column(BigInteger)
    frames_skipped: Mapped[int] = mapped_column(BigInteger)
    frames_motion_skipped: Mapped[int] = mapped_column(BigInteger)
    reconnects_last_hour: Mapped[int] = mapped_column(Integer)
    alerts: Mapped[int] = mapped_column(BigInteger)
    last_frame_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# ---------------------------------------------------------------------------------------------
# Sensors (migration 0012_sensors): the registry, each sensor's rule state, compact samples,
# stored batch ids (idempotency) and the camera pictures linked to alerts (视频联动).
# ---------------------------------------------------------------------------------------------


class SensorRow(Base):
    """A registered sensor. ``linked_cameras`` None links every camera covering it."""

    __tablename__ = "sensors"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)
    vendor_code: Mapped[str] = mapped_column(String(64))
    sensor_type: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Double)
    lon: Mapped[float] = mapped_column(Double)
    height_m: Mapped[float | None] = mapped_column(Double)
    grid_l1_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l2_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    grid_l3_code: Mapped[str | None] = mapped_column(String(GRID_CODE_LENGTH), index=True)
    linked_cameras: Mapped[list[str] | None] = mapped_column(JSON)
    # Overrides of the type's threshold levels and debounce, and of its heartbeat interval.
    threshold: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    heartbeat_interval_s: Mapped[float | None] = mapped_column(Double)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class SensorStateRow(Base):
    """Where a sensor's rules stand, shared by every central process (locked while changed)."""

    __tablename__ = "sensor_states"

    sensor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phase: Mapped[str] = mapped_column(String(16))  # normal / pending / alarm
    # Device time the value first went past the alarm (pending) or the clear level (alarm).
    since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    event_sequence: Mapped[int] = mapped_column(Integer, default=0)
    event_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    event_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    device_alarm: Mapped[bool] = mapped_column(Boolean, default=False)
    last_value: Mapped[float | None] = mapped_column(Double)
    last_observed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sample_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Server clock: the heartbeat watchdog compares it with its own now.
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    offline: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class SensorSampleRow(Base):
    """A reading kept: every state change and at most one per sample interval per sensor."""

    __tablename__ = "sensor_samples"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sensor_id: Mapped[str] = mapped_column(String(64), index=True)
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    value: Mapped[float] = mapped_column(Double)


class SensorBatchRow(Base):
    """A stored batch's id: a batch sent again is recognised and stored once."""

    __tablename__ = "sensor_batches"

    message_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    gateway_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    records: Mapped[int] = mapped_column(Integer)


class AlertLinkRow(Base):
    """视频联动: one linked camera asked for evidence of one sensor alert, and what came back.

    ``kind`` is ``snapshot`` today; a clip will be another kind on its own row. ``status`` is
    requested, attached, or why there is nothing (edge_offline, camera_offline, timeout ...).
    """

    __tablename__ = "alert_links"
    __table_args__ = (UniqueConstraint("alert_id", "camera_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    edge_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LoginThrottleRow(Base):
    """Failed logins of one account or one client address, and its lockout if any.

    Kept in the database, not in a process, so that every central worker counts the same
    failures and honours the same lockout.
    """

    __tablename__ = "login_throttle"

    # "account:<username>" or "address:<client address>".
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
