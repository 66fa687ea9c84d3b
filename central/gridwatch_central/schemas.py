"""Response models of the HTTP API (also what the read services return)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Every serial id is a PostgreSQL INTEGER: a larger number names no row, and sent to the
# database it would fail the query (500) rather than find nothing, so it is refused as 422.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorOut(BaseModel):
    """The body of every error response (4xx/5xx) of the API."""

    code: str = Field(description="Stable machine-readable error code", examples=["not_found"])
    detail: str = Field(description="What went wrong, for a human.")


class FieldErrorOut(BaseModel):
    loc: list[str | int] = Field(description="Where: body/query/path and the field's path")
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    """422: the request is well-formed HTTP but its parameters or body are invalid."""

    errors: list[FieldErrorOut]


class GeoPointOut(BaseModel):
    lat: float
    lon: float


class GridCodes(_Out):
    grid_l1_code: str | None = Field(description="一级网格 (street/town) code")
    grid_l2_code: str | None = Field(description="二级网格 (community/village) code")
    grid_l3_code: str | None = Field(description="三级网格 (micro-grid) code")


ClipStatus = Literal["pending", "stored", "unavailable", "expired"]


class ClipOut(BaseModel):
    """An alert's evidence clip: announced by the alert, uploaded by the edge afterwards."""

    clip_id: uuid.UUID
    status: ClipStatus = Field(
        description="pending: announced, not arrived yet; stored: playable at video_url;"
        " unavailable: the edge gave it up (reason); expired: deleted by retention"
    )
    duration_s: float | None = Field(description="From the first to the last frame")
    starts_at: datetime | None = Field(description="Edge clock: the clip's first frame")
    ends_at: datetime | None = Field(description="Edge clock: the clip's last frame")
    event_at: datetime | None = Field(description="Edge clock: when the event opened")
    truncated: bool = Field(default=False, description="The stream was lost before the end")
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    reason: str | None = Field(default=None, description="Why an unavailable clip never came")
    video_url: str | None = Field(
        description="API path of the MP4 (HTTP range requests), when stored"
    )


class AlertOut(GridCodes):
    alert_id: uuid.UUID
    event_id: uuid.UUID
    sequence: int
    edge_id: str
    camera_id: str
    event_type: str
    rule_id: str
    zone_id: str | None
    state: str
    started_at: datetime = Field(description="Edge clock")
    updated_at: datetime = Field(description="Edge clock")
    received_at: datetime = Field(description="Server clock")
    confidence: float
    objects: list[dict[str, Any]]
    measurements: dict[str, float]
    location: GeoPointOut | None = Field(description="The point the grid was assigned from")
    location_source: Literal["ground", "alert", "camera", "sensor"] | None = Field(
        description="ground: objects' position through the camera homography; alert: the edge's"
        " location; camera: the registered camera position; sensor: the registered sensor"
    )
    source: Literal["camera", "sensor"] = Field(
        default="camera",
        description="camera: an edge's alert; sensor: a sensor alarm (camera_id then names the"
        " sensor, edge_id its gateway; linked camera pictures: GET /alerts/{id}/links)",
    )
    snapshot_sha256: str | None
    snapshot_url: str | None = Field(description="API path of the JPEG, when there is one")
    model_name: str
    model_version: str
    incident_id: int | None = Field(description="The incident the alert was merged into")
    case_id: int | None
    clip: ClipOut | None = Field(default=None, description="The event's evidence clip, if any")


class CaseOut(GridCodes):
    id: int
    case_number: str = Field(examples=["GW-20261121-000042"])
    state: str
    category: str
    title: str
    camera_id: str
    edge_id: str
    event_id: uuid.UUID
    opened_at: datetime
    due_at: datetime = Field(description="Time limit for handling, from the server clock")
    first_alert_id: uuid.UUID
    # case loop
    incident_id: int | None
    department: str | None = Field(description="Responsible department (routing.yaml)")
    area_class: str | None
    handling_level: int = Field(description="3 micro-grid, 2 community, 1 street, 0 district")
    assignee: str | None
    emergency: bool
    step_due_at: datetime | None = Field(description="Deadline of the current step")
    step_warn_at: datetime | None = Field(description="Yellow time (预警) of the current step")
    due_warn_at: datetime | None = Field(description="Yellow time (预警) of the whole case")
    held_state: str | None = Field(description="State to resume into while ON_HOLD")
    allowed_actions: list[str] = Field(
        description="Actions the caller may take on the case now (role, department and state)"
    )


class TimelineEntryOut(_Out):
    at: datetime
    action: str
    actor: str
    actor_role: str | None
    from_state: str | None
    to_state: str | None
    note: str | None
    attachments: list[str] | None
    details: dict[str, Any] | None


class CaseDetailOut(CaseOut):
    timeline: list[TimelineEntryOut]
    alerts: list[AlertOut]


class QuarantinedOut(_Out):
    id: int
    topic: str
    error_code: str
    reason: str
    received_at: datetime
    size_bytes: int = Field(description="Size of the whole message as received")
    kept_bytes: int = Field(description="How many of its first bytes are kept (at most 64 KiB)")
    sha256: str | None = Field(
        description="SHA-256 of the whole message; null when it failed after decoding"
    )


class _Page(BaseModel):
    total: int = Field(description="Matching rows in all pages")
    limit: int
    offset: int


class AlertPage(_Page):
    items: list[AlertOut]


class CasePage(_Page):
    items: list[CaseOut]


class QuarantinePage(_Page):
    items: list[QuarantinedOut]


class IngestStatsOut(BaseModel):
    """Counters since this process started (the database keeps the lasting totals)."""

    received: int
    stored: int
    duplicates: int
    rejected: dict[str, int] = Field(description="Quarantined messages by contract error code")
    rejected_total: int


class IngestHealthOut(BaseModel):
    """What ingest holds now (this process)."""

    unacked_deliveries: int = Field(description="Received from the broker, not acknowledged yet")
    oldest_unacked_age_s: float | None = Field(
        description="Ingest lag: how long the oldest unacknowledged delivery has waited"
    )
    outage: bool = Field(
        description="Waiting for the database or the snapshot disk, deliveries held"
    )
    outage_for_s: float | None = Field(description="How long the current outage has lasted")
    last_commit_age_s: float | None = Field(
        description="Seconds since ingest last committed a batch (None: not since start)"
    )
    stalled: bool = Field(description="A delivery has waited longer than ingest_stall_after_s")


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: bool
    mqtt: bool
    ingest: IngestHealthOut
    detail: str | None = None


class ReadyOut(BaseModel):
    ready: bool = Field(description="Database answers, broker subscribed, ingest not held")
    detail: str | None = None
