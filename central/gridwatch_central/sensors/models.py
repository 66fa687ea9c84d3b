"""What an integrator sends and gets back for a sensor, and the bulk import's report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gridwatch_contract.topics import ID_PATTERN, validate_id

SensorId = Annotated[str, Field(pattern=ID_PATTERN), AfterValidator(validate_id)]
# Rows of one import: a district's sensors of one vendor; more goes in several requests.
MAX_IMPORT_ROWS = 5000


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThresholdOverride(_In):
    """This sensor's own levels and debounce; a field left out keeps the type's."""

    alarm: float | None = None
    clear: float | None = None
    debounce_s: float | None = Field(default=None, ge=0, le=86400)
    clear_debounce_s: float | None = Field(default=None, ge=0, le=86400)


class SensorFields(_In):
    gateway_id: SensorId = Field(description="The gateway that forwards this sensor's records")
    vendor_code: str = Field(min_length=1, max_length=64, description="The vendor's device code")
    sensor_type: SensorId = Field(description="A type of configs/sensor_types.yaml")
    name: str = Field(default="", max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    height_m: float | None = Field(default=None, ge=-500, le=10000)
    linked_cameras: list[SensorId] | None = Field(
        default=None,
        max_length=16,
        description="Cameras whose pictures go with its alarms; None: every registered camera"
        " whose calibrated ground footprint or link radius covers the sensor",
    )
    threshold: ThresholdOverride | None = None
    heartbeat_interval_s: float | None = Field(
        default=None, gt=0, le=7 * 86400, description="None: the type's interval"
    )


class SensorIn(SensorFields):
    id: SensorId


class LinkedCameraOut(BaseModel):
    camera_id: str
    edge_id: str
    how: Literal["explicit", "footprint", "radius"]


class SensorStateOut(BaseModel):
    phase: str
    offline: bool
    last_seen_at: datetime
    last_value: float | None
    last_observed_at: datetime | None
    open_event_id: str | None


class SensorOut(BaseModel):
    id: str
    gateway_id: str
    vendor_code: str
    sensor_type: str
    name: str
    lat: float
    lon: float
    height_m: float | None
    grid_l1_code: str | None
    grid_l2_code: str | None
    grid_l3_code: str | None
    linked_cameras: list[str] | None = Field(description="As registered (None: automatic)")
    cameras: list[LinkedCameraOut] = Field(description="The cameras linked now")
    threshold: ThresholdOverride | None
    heartbeat_interval_s: float
    state: SensorStateOut | None = Field(description="None until the sensor was first heard")
    created_at: datetime
    updated_at: datetime


class SensorPage(BaseModel):
    items: list[SensorOut]
    total: int
    limit: int
    offset: int


class ImportProblem(BaseModel):
    row: int = Field(description="1-based row (CSV: data rows after the header)")
    sensor_id: str | None
    problem: str


class ImportReport(BaseModel):
    dry_run: bool
    rows: int
    created: list[str]
    updated: list[str]
    problems: list[ImportProblem]
    applied: bool = Field(description="True when the rows were written (no problem, no dry run)")


class SampleOut(BaseModel):
    observed_at: datetime
    value: float


class AlertLinkOut(BaseModel):
    """One linked camera asked for evidence of a sensor alert (视频联动), and the outcome."""

    camera_id: str
    edge_id: str
    kind: str
    status: str
    reason: str | None
    snapshot_sha256: str | None
    snapshot_url: str | None
    requested_at: datetime
    resolved_at: datetime | None
