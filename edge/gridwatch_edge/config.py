"""Edge configuration: one YAML file per box, validated once at the composition root.

Every model forbids unknown keys so that a typo in a config file is an error, not a silently
ignored setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.messages import MAX_SNAPSHOT_BYTES, GeoPoint
from gridwatch_contract.topics import validate_id
from gridwatch_contract.yaml_config import ConfigFileError, load_yaml_model, validate_document
from gridwatch_edge.errors import EdgeError

Identifier = Annotated[str, AfterValidator(validate_id)]


class ConfigError(EdgeError, ConfigFileError):
    """A configuration file that cannot be used; the message names the file and the key."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorConfig(_Model):
    model: str = Field(default="yolox_nano", min_length=1, description="Manifest name.")
    # Two threads fill both cores of the reference box; more only adds contention.
    intra_op_threads: int = Field(default=2, ge=1, le=64)
    # 0.3 keeps partly occluded pedestrians on elevated CCTV while rejecting most clutter.
    score_threshold: float = Field(default=0.3, gt=0.0, lt=1.0)
    # 0.45 is the YOLOX reference value: separates people walking side by side.
    nms_iou_threshold: float = Field(default=0.45, gt=0.0, le=1.0)
    classes: list[str] | None = Field(default=None, description="Keep only these class names.")


class ZoneConfig(_Model):
    id: Identifier
    polygon: list[tuple[float, float]] = Field(
        min_length=3, description="[x, y] points relative to frame width/height, 0..1."
    )

    @model_validator(mode="after")
    def _in_range(self) -> Self:
        for index, (x, y) in enumerate(self.polygon):
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(
                    f"polygon point {index} [{x}, {y}] is outside the relative range 0..1"
                )
        return self


class CrowdRuleConfig(_Model):
    type: Literal["crowd"]
    id: Identifier
    zone: str
    min_persons: int = Field(ge=1)
    min_duration_s: float = Field(gt=0)
    update_interval_s: float = Field(default=10.0, gt=0)
    end_after_s: float = Field(default=3.0, gt=0)


# A discriminated union on ``type``: road_blockage, left_object, line_crossing join here.
RuleConfig = Annotated[CrowdRuleConfig, Field(discriminator="type")]


class CameraConfig(_Model):
    id: Identifier
    url: str = Field(min_length=1, description="rtsp://, rtsps:// or a local file path.")
    location: GeoPoint | None = None
    analysis_fps: float = Field(default=5.0, gt=0, le=60)
    realtime: bool = True
    zones: list[ZoneConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Self:
        _require_unique("zone", [zone.id for zone in self.zones])
        _require_unique("rule", [rule.id for rule in self.rules])
        zone_ids = {zone.id for zone in self.zones}
        for rule in self.rules:
            if rule.zone not in zone_ids:
                raise ValueError(
                    f"rule {rule.id!r} refers to zone {rule.zone!r}, which camera {self.id!r}"
                    f" does not define (zones: {sorted(zone_ids)})"
                )
        return self

    def zone(self, zone_id: str) -> ZoneConfig:
        return next(zone for zone in self.zones if zone.id == zone_id)


class EdgeConfig(_Model):
    edge_id: Identifier
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    cameras: list[CameraConfig] = Field(min_length=1)
    # 30 s keeps the stats topic cheap while an operator still sees a stalled camera quickly.
    stats_interval_s: float = Field(default=30.0, gt=0)
    # 512 KiB holds a 1080p frame at good quality and keeps alerts quick on a 4G uplink.
    snapshot_max_bytes: int = Field(default=512 * 1024, ge=16 * 1024, le=MAX_SNAPSHOT_BYTES)

    @model_validator(mode="after")
    def _unique_cameras(self) -> Self:
        _require_unique("camera", [camera.id for camera in self.cameras])
        return self


def _require_unique(what: str, ids: list[str]) -> None:
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} id(s): {', '.join(duplicates)}")


def load_edge_config(path: Path | str) -> EdgeConfig:
    """Read and validate a YAML edge configuration, or raise ``ConfigError``."""
    return load_yaml_model(EdgeConfig, path, what="edge configuration", error=ConfigError)


def parse_edge_config(document: object, *, source: str = "<config>") -> EdgeConfig:
    return validate_document(
        EdgeConfig, document, source=source, what="edge configuration", error=ConfigError
    )
