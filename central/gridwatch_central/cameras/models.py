"""What an integrator sends and gets back for a camera. The RTSP URL goes in whole and comes
out redacted: credentials are stored for the edge, never shown."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from gridwatch_central.cameras.urls import validate_rtsp_url
from gridwatch_central.grid.homography import (
    GroundMapping,
    HomographyError,
    ReferencePoint,
    fit_ground_mapping,
)
from gridwatch_contract.camera.camera import CameraConfig, MotionConfig, TrackerConfig, ZoneConfig
from gridwatch_contract.camera.filters import MasksConfig, ObjectFilterConfig
from gridwatch_contract.camera.rules import RuleConfig
from gridwatch_contract.topics import ID_PATTERN, validate_id

# The patterns tell API clients (and schemathesis) the rule the validators enforce.
CameraId = Annotated[str, Field(pattern=ID_PATTERN), AfterValidator(validate_id)]
RtspUrl = Annotated[str, AfterValidator(validate_rtsp_url)]
# Largest reprojection error accepted: a ground point 5 m off can put an event in the wrong
# micro-grid only right at a boundary, and reference points measured from a map are no better.
MAX_REPROJECTION_ERROR_M = 5.0


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GeoPointIn(_In):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReferencePointIn(GeoPointIn):
    x: float = Field(ge=0, description="Pixel column in the reference frame")
    y: float = Field(ge=0, description="Pixel row in the reference frame")


class FrameSizeIn(_In):
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)


class HomographyIn(_In):
    """Four or more points seen by the camera, each with its position on a map."""

    frame: FrameSizeIn = Field(description="Size of the image the pixel positions refer to")
    points: list[ReferencePointIn] = Field(min_length=4, max_length=64)

    @model_validator(mode="after")
    def _fits(self) -> HomographyIn:
        size = f"{self.frame.width}x{self.frame.height}"
        for number, point in enumerate(self.points, start=1):
            if point.x > self.frame.width or point.y > self.frame.height:
                raise ValueError(f"reference point {number} lies outside the {size} frame")
        mapping = self.fit()
        if mapping.max_error_m > MAX_REPROJECTION_ERROR_M:
            worst = mapping.errors_m.index(mapping.max_error_m) + 1
            raise ValueError(
                f"reference point {worst} is {mapping.max_error_m:.1f} m from where the fitted"
                f" homography puts it (at most {MAX_REPROJECTION_ERROR_M:g} m): check it"
            )
        return self

    def fit(self) -> GroundMapping:
        points = [ReferencePoint(x=p.x, y=p.y, lat=p.lat, lon=p.lon) for p in self.points]
        try:
            return fit_ground_mapping(points, self.frame.width, self.frame.height)
        except HomographyError as error:
            raise ValueError(str(error)) from None


class CameraAnalysis(_In):
    """What the edge runs on this camera: the ``cameras`` entry of an edge config without id,
    URL and location, validated with the very models the edge uses (``gridwatch_contract.
    camera``). Coordinates are relative (0..1) unless ``units: px``."""

    analysis_fps: float = Field(default=5.0, gt=0, le=60)
    zones: list[ZoneConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)
    filters: ObjectFilterConfig = Field(
        default_factory=ObjectFilterConfig,
        description="Detection thresholds of this camera: box size, shape and classes kept.",
    )
    masks: MasksConfig = Field(default_factory=MasksConfig)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    motion: MotionConfig | None = None

    @model_validator(mode="after")
    def _as_the_edge_sees_it(self) -> CameraAnalysis:
        """Zone references and unique ids, checked by the edge's own camera model."""
        try:
            self.camera_config(camera_id="check", url="rtsp://camera.invalid/")
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"{where}: {first['msg']}" if where else first["msg"]) from None
        return self

    def camera_config(
        self, *, camera_id: str, url: str, location: dict[str, float] | None = None
    ) -> CameraConfig:
        document: dict[str, Any] = {
            "id": camera_id,
            "url": url,
            "location": location,
            **self.model_dump(mode="json", exclude_none=True),
        }
        return CameraConfig.model_validate(document)


NATIONAL_CODE_PATTERN = r"^[0-9]{20}$"


class CameraFields(_In):
    edge_id: CameraId = Field(description="The edge box that analyses this camera")
    name: str = Field(min_length=1, max_length=200)
    rtsp_url: RtspUrl = Field(
        description="rtsp:// or rtsps:// URL, credentials included; responses show it redacted."
        " Sending back a redacted URL (user ***) keeps the stored credentials."
    )
    location: GeoPointIn = Field(description="Where the camera stands (WGS-84)")
    homography: HomographyIn | None = Field(
        default=None, description="Pixel ↔ ground reference points, to place events on the ground"
    )
    enabled: bool = Field(default=True, description="False: stored, but not sent to its edge")
    heading_deg: float | None = Field(
        default=None, ge=0, lt=360, description="Viewing direction, degrees clockwise from north"
    )
    national_code: str | None = Field(
        default=None,
        pattern=NATIONAL_CODE_PATTERN,
        description="GB/T 28181 national camera code (国标编码), 20 digits",
    )
    analysis: CameraAnalysis = Field(
        default_factory=CameraAnalysis,
        description="Zones, rules and thresholds the edge applies (replaced as a whole)",
    )


class CameraIn(CameraFields):
    id: CameraId = Field(description="Unique in the deployment, as the edge names it in alerts")


class GridRefOut(BaseModel):
    code: str
    name: str
    level: int


class HomographyOut(BaseModel):
    frame: FrameSizeIn
    points: list[ReferencePointIn]
    matrix: list[list[float]] = Field(description="Pixel → local east/north metres, row-major")
    rms_error_m: float = Field(description="Root-mean-square reprojection error of the points")
    max_error_m: float
    point_errors_m: list[float]


ConfigState = Literal["pending", "applied", "failed", "disabled"]


class CameraConfigStatus(BaseModel):
    """Whether the camera's edge runs its newest settings."""

    state: ConfigState = Field(
        description="pending: published (or about to be), not yet confirmed by the edge;"
        " applied: the edge runs this revision or a newer one; failed: the edge refused the"
        " revision (reason says why; it keeps running the previous one); disabled: not sent"
    )
    reason: str | None = None
    revision: int = Field(description="The edge config revision carrying this camera's change")
    applied_revision: int | None = Field(description="The revision the edge says it runs")
    summary: str = Field(description='"pending", "applied" or "failed: <reason>"')


class CameraOut(BaseModel):
    id: str
    edge_id: str
    name: str
    rtsp_url: str = Field(description="With user name, password and secret parameters as ***")
    has_credentials: bool
    location: GeoPointIn
    homography: HomographyOut | None
    grids: list[GridRefOut] = Field(description="The cells holding the camera, level 1 to 3")
    viewed_grids: list[GridRefOut] = Field(
        description="Micro-grids (level 3) within the ground area its reference points span"
    )
    created_at: datetime
    updated_at: datetime
    enabled: bool
    heading_deg: float | None
    national_code: str | None
    analysis: CameraAnalysis
    config: CameraConfigStatus


class CameraPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CameraOut]
