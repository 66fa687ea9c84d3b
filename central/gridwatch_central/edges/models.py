"""What the API returns about edges and their cameras."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

EdgeState = Literal["online", "offline"]
StateReason = Literal["reported_online", "reported_offline", "stale", "no_status", "never_seen"]
Connection = Literal["good", "degraded", "offline"]


class ModelOut(BaseModel):
    name: str
    version: str


class CameraHealthOut(BaseModel):
    camera_id: str
    registered: bool = Field(description="Registered through /api/v1/cameras (has a position)")
    online: bool = Field(description="Reported online by an edge that is itself online")
    reported_online: bool = Field(description="What the edge said in its newest stats")
    connection: Connection | None
    input_fps: float
    analysed_fps: float
    frames_read: int
    frames_analysed: int
    frames_skipped: int
    frames_motion_skipped: int
    reconnects_last_hour: int
    alerts: int
    last_frame_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    reported_at: datetime = Field(description="The edge's time of the stats message")


class EdgeConfigOut(BaseModel):
    """The config central pushes to the edge and what the edge reported about it."""

    revision: int = Field(description="Newest revision central made (0: none)")
    published: bool = Field(description="False while that revision still has to reach the broker")
    published_at: datetime | None
    applied_revision: int | None = Field(description="The revision the edge says it runs")
    rejected_revision: int | None = Field(description="The newest revision the edge refused")
    error: str | None = Field(description="Why the edge refused it")
    camera_errors: dict[str, str] = Field(description="Per camera: why it was refused")


class EdgeOut(BaseModel):
    edge_id: str
    state: EdgeState = Field(description="What to show: offline when reported so, or stale")
    state_reason: StateReason = Field(
        description="reported_online/reported_offline: the status topic (offline includes the"
        " broker's last will); stale: nothing heard for stale_after_s although it said online;"
        " no_status: stats seen but never a status; never_seen: registered, never connected"
    )
    reported_state: EdgeState | None
    state_changed_at: datetime | None = Field(description="When central saw the state change")
    last_seen_at: datetime | None = Field(description="Newest sign of life central received")
    seen_ago_s: float | None
    stale_after_s: float = Field(description="stale_after_intervals x the stats interval")
    first_seen_at: datetime | None
    registered: bool = Field(description="In the edge registry: takes its cameras from central")
    name: str | None
    grid_code: str | None
    config: EdgeConfigOut
    software_version: str | None
    model: ModelOut | None
    stats_interval_s: float | None
    stats_at: datetime | None = Field(description="The edge's time of its newest stats")
    uptime_s: float | None
    outbox_depth: int | None = Field(description="Alerts waiting on the edge for central's ack")
    inference_ms_p50: float | None
    cameras_total: int
    cameras_online: int
    cameras: list[CameraHealthOut]


class EdgePage(BaseModel):
    items: list[EdgeOut]
    total: int
    limit: int
    offset: int
    as_of: datetime
    monitor_connected: bool = Field(
        description="False while this central process is not subscribed to the edges' topics:"
        " then every edge turns stale, and the page says why"
    )
