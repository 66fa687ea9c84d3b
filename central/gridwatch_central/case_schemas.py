"""Request and response models of the case-loop API: incidents, review, case actions,
supervision, metrics and the monthly report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gridwatch_central.metrics import Figures, GroupBy
from gridwatch_central.schemas import (
    AlertOut,
    CaseOut,
    GeoPointOut,
    GridCodes,
    RowId,
    TimelineEntryOut,
)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------------------


class ProblemOut(BaseModel):
    code: Literal["forbidden", "invalid_request"] = Field(description="Stable, for programs")
    detail: str = Field(description="What went wrong, for a human")


class TransitionErrorOut(BaseModel):
    code: Literal["illegal_transition"] = "illegal_transition"
    detail: str
    action: str
    state: str = Field(description="The record's current state")
    allowed_actions: list[str] = Field(description="Actions the state admits (any role)")


# --- incidents and review -------------------------------------------------------------------


class IncidentOut(GridCodes):
    id: int
    category: str = Field(description="GB/T 47678.5 code, or a 9xxxx local extension")
    event_type: str
    status: Literal["PENDING", "VERIFIED", "FALSE_ALARM", "DUPLICATE"]
    location: GeoPointOut | None
    place: str | None
    camera_id: str
    edge_id: str
    rule_id: str
    model_name: str
    model_version: str
    first_seen_at: datetime = Field(description="Server clock")
    last_seen_at: datetime = Field(description="Server clock")
    alert_count: int
    first_alert_id: uuid.UUID
    best_alert_id: uuid.UUID
    best_confidence: float
    best_snapshot_url: str | None
    duplicate_of_id: int | None
    review_reason: str | None
    case_id: int | None
    allowed_actions: list[str] = Field(
        description="Review actions the caller may take now: verify, reject, duplicate"
    )


class IncidentTimelineEntryOut(_Out):
    at: datetime
    action: str
    actor: str
    actor_role: str
    note: str | None
    details: dict[str, Any] | None


class IncidentDetailOut(IncidentOut):
    timeline: list[IncidentTimelineEntryOut]
    alerts: list[AlertOut]


class IncidentPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[IncidentOut]


class VerifyIn(_In):
    note: str | None = None


class RejectIn(_In):
    reason: str = Field(min_length=1, description="Why this is a false alarm (误报)")


class DuplicateIn(_In):
    duplicate_of: RowId = Field(description="The incident this one repeats")
    note: str | None = None


class ReviewOut(BaseModel):
    incident: IncidentOut
    case: CaseOut | None = Field(description="The case opened by verification, if any")


# --- case actions ---------------------------------------------------------------------------


class NoteIn(_In):
    note: str | None = None
    attachments: list[str] = Field(default_factory=list, description="Snapshot hashes or URLs")


class ReasonIn(_In):
    reason: str = Field(min_length=1)
    attachments: list[str] = Field(default_factory=list)


class DispatchIn(NoteIn):
    department: str | None = Field(default=None, description="Default: the routed department")


class EvaluateIn(NoteIn):
    score: int = Field(ge=1, le=5, description="评价 1 (poor) … 5 (excellent)")


class ExtensionRequestIn(_In):
    hours: float = Field(gt=0, le=24 * 30)
    reason: str = Field(min_length=1)


class CaseTimelineEntryOut(TimelineEntryOut):
    id: int


class CaseActionOut(BaseModel):
    case: CaseOut
    allowed_actions: list[str] = Field(description="Actions the new state admits (any role)")
    entry: CaseTimelineEntryOut = Field(description="The timeline entry the action wrote")


class ExtensionOut(_Out):
    id: int
    case_id: int
    hours: float
    reason: str
    status: Literal["PENDING", "APPROVED", "REJECTED"]
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class SupervisionOut(_Out):
    id: int
    case_id: int
    step: str = Field(description="The case state whose step ran late, or CASE")
    level: Literal["yellow", "red"]
    deadline_at: datetime
    raised_at: datetime
    escalated_to: str | None
    note: str


class SupervisionPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[SupervisionOut]


# --- metrics --------------------------------------------------------------------------------


class MetricRowOut(Figures):
    """One group's figures; formulas in ``gridwatch_central.metrics.formulas``."""

    group_by: GroupBy
    key: str


class MetricsOut(BaseModel):
    start: datetime
    end: datetime
    period: Literal["requested", "current_month"] = Field(
        description="'current_month' when start and end were not given: the month of now in"
        " the configured time zone"
    )
    month: str | None = Field(
        default=None, examples=["2026-11"], description="YYYY-MM of a current_month period"
    )
    timezone: str = Field(description="The configured time zone months are counted in")
    as_of: datetime
    group_by: GroupBy
    level: int
    rows: list[MetricRowOut]


class SensorMetricRowOut(BaseModel):
    """One sensor type in one grid (``gridwatch_central.metrics.sensors``)."""

    sensor_type: str
    grid_code: str
    alarms: int = Field(description="Sensor events opened (new alerts)")
    incidents: int = Field(description="Incidents first seen from this type's alarms")
    verified: int
    false_alarms: int = Field(description="Incidents rejected as 误报 in review")
    false_alarm_rate: float | None = Field(description="false / (verified + false)")
    offline_s: float = Field(description="Time this type's sensors were offline, summed")


class MonthlyReportOut(BaseModel):
    """月通报: the month's figures overall and by street, community, department and camera."""

    month: str = Field(examples=["2026-11"])
    timezone: str
    start: datetime
    end: datetime
    as_of: datetime
    total: MetricRowOut
    by_street: list[MetricRowOut]
    by_community: list[MetricRowOut]
    by_department: list[MetricRowOut]
    by_camera: list[MetricRowOut]
    by_category: list[MetricRowOut]
    supervisions: dict[str, int] = Field(description="Alarms raised in the month by level")
    sensors_by_community: list[SensorMetricRowOut] = Field(
        default_factory=list, description="Sensor alarms and offline time by type and community"
    )
