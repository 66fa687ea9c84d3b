"""Edge configuration: one YAML file per box, validated once at the composition root.

Every model forbids unknown keys so that a typo in a config file is an error, not a silently
ignored setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.messages import MAX_SNAPSHOT_BYTES, GeoPoint
from gridwatch_contract.topics import validate_id
from gridwatch_edge.errors import EdgeError

Identifier = Annotated[str, AfterValidator(validate_id)]


class ConfigError(EdgeError, ValueError):
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


KIB = 1024
MIB = 1024 * KIB
# What a PUBLISH packet adds around the JSON payload: fixed header, topic (prefix + three ids of
# at most 64 characters), packet id and properties. 2 KiB is more than any of our topics needs.
MQTT_PACKET_OVERHEAD_BYTES = 2 * KIB


class OutboxConfig(_Model):
    """The durable on-disk queue of alerts awaiting central's acknowledgement."""

    path: Path = Field(
        default=Path("var/gridwatch/edge-outbox.db"),
        description="SQLite file; relative paths are relative to the working directory.",
    )
    # 10 000 alerts is days of backlog for a busy box (a few alerts per camera per hour).
    max_entries: int = Field(default=10_000, ge=1)
    # 512 MiB holds ~2000 alerts at the 256 KiB packet limit: bounded on a 16 GB eMMC edge box.
    max_bytes: int = Field(default=512 * MIB, ge=MIB)
    # An alert a week old no longer helps anyone act on the street; dropping it (counted and
    # logged) frees room for current ones after a long outage.
    ttl_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    # Central acks within milliseconds of its commit; 15 s without one means the message or
    # the ack was lost (or central is down), so it is sent again, then at doubling intervals.
    ack_timeout_s: float = Field(default=15.0, gt=0)
    # Cap of that doubling: a long central outage costs one resend per camera per 5 minutes.
    max_resend_interval_s: float = Field(default=300.0, gt=0)
    # 1 = stop-and-wait per camera: central stores each camera's alerts strictly in order.
    # Acks come back in milliseconds, so even a backlog of thousands drains in seconds.
    in_flight_per_camera: int = Field(default=1, ge=1, le=1000)
    # Acked and dropped rows are kept without their payload (about 150 bytes each) as an audit
    # trail of what left the box and how; only the newest ones.
    history_entries: int = Field(default=10_000, ge=0)
    # On shutdown, how long to wait for pending alerts to be acknowledged; what is still
    # pending stays on disk and is sent at the next start.
    drain_timeout_s: float = Field(default=10.0, ge=0)


class EdgeConfig(_Model):
    edge_id: Identifier
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    detector: DetectorConfig = Field(default_factory=DetectorConfig)
    cameras: list[CameraConfig] = Field(min_length=1)
    # 30 s keeps the stats topic cheap while an operator still sees a stalled camera quickly.
    stats_interval_s: float = Field(default=30.0, gt=0)
    # 512 KiB holds a 1080p frame at good quality and keeps alerts quick on a 4G uplink.
    snapshot_max_bytes: int = Field(default=512 * 1024, ge=16 * 1024, le=MAX_SNAPSHOT_BYTES)
    # Largest MQTT packet the broker accepts (Mosquitto: max_packet_size / message_size_limit).
    # 256 KiB is below the defaults of Mosquitto (256 MiB) and EMQX (1 MiB), holds two good
    # 720p JPEGs, and keeps an alert quick over a 4G uplink; set it to the broker's own limit.
    # The snapshots of each alert step down until the whole message fits.
    broker_max_packet_bytes: int = Field(default=256 * KIB, ge=32 * KIB, le=256 * MIB)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)

    @model_validator(mode="after")
    def _unique_cameras(self) -> Self:
        _require_unique("camera", [camera.id for camera in self.cameras])
        return self

    @model_validator(mode="after")
    def _outbox_holds_an_alert(self) -> Self:
        if self.outbox.max_bytes < self.broker_max_packet_bytes:
            raise ValueError(
                f"outbox.max_bytes ({self.outbox.max_bytes}) must be at least"
                f" broker_max_packet_bytes ({self.broker_max_packet_bytes}) to hold one alert"
            )
        return self

    @property
    def alert_payload_max_bytes(self) -> int:
        """Largest encoded alert JSON that fits in one packet with its topic and headers."""
        return self.broker_max_packet_bytes - MQTT_PACKET_OVERHEAD_BYTES


def _require_unique(what: str, ids: list[str]) -> None:
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} id(s): {', '.join(duplicates)}")


def load_edge_config(path: Path | str) -> EdgeConfig:
    """Read and validate a YAML edge configuration, or raise ``ConfigError``."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read configuration: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    return parse_edge_config(document, source=str(path))


def parse_edge_config(document: object, *, source: str = "<config>") -> EdgeConfig:
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level")
    try:
        return EdgeConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_describe(source, error)) from None


def _describe(source: str, error: ValidationError) -> str:
    lines = [f"{source}: invalid edge configuration"]
    for problem in error.errors(include_url=False, include_input=False):
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)
