"""Edge configuration: one YAML file per box, validated once at the composition root.

Every model forbids unknown keys so that a typo in a config file is an error, not a silently
ignored setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from gridwatch_contract.broker import MQTT_PACKET_OVERHEAD_BYTES, BrokerConfig
from gridwatch_contract.camera.base import Identifier
from gridwatch_contract.camera.base import StrictModel as _Model
from gridwatch_contract.camera.camera import (
    CameraConfig,
    CameraList,
    MotionConfig,
    TrackerConfig,
    ZoneConfig,
    require_unique,
)
from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_contract.messages import MAX_SNAPSHOT_BYTES
from gridwatch_contract.yaml_config import ConfigFileError, load_yaml_model, validate_document
from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.scheduling import DEFAULT_CPU_SCHEDULING, CpuScheduling

# The camera models live in the contract (central validates with them too); the edge's own
# modules keep importing them from here.
__all__ = [
    "CameraConfig",
    "ConfigError",
    "DetectorConfig",
    "EdgeConfig",
    "MotionConfig",
    "OutboxConfig",
    "SourceSettings",
    "TrackerConfig",
    "ZoneConfig",
    "load_edge_config",
    "parse_camera_configs",
    "parse_edge_config",
]


class ConfigError(EdgeError, ConfigFileError):
    """A configuration file that cannot be used; the message names the file and the key."""


class DetectorConfig(_Model):
    model: str = Field(default="yolox_nano", min_length=1, description="Manifest name.")
    # Parallelism across frames, not inside one: on a small model like YOLOX-Nano the per-op
    # thread wake-ups of intra-op threads cost more than they give (measured on the 2-core
    # box: 1 worker x 2 intra-op threads 110 frames/s, 2 workers x 1 thread 244 frames/s on
    # the same session). Raise intra_op_threads only for a large model with few cameras.
    intra_op_threads: int = Field(default=1, ge=1, le=64)
    # Threads running the one shared session concurrently; 0 = one per usable core.
    inference_workers: int = Field(default=0, ge=0, le=64)
    # 0.3 keeps partly occluded pedestrians on elevated CCTV while rejecting most clutter.
    score_threshold: float = Field(default=0.3, gt=0.0, lt=1.0)
    # 0.45 is the YOLOX reference value: separates people walking side by side.
    nms_iou_threshold: float = Field(default=0.45, gt=0.0, le=1.0)
    classes: list[str] | None = Field(default=None, description="Keep only these class names.")
    class_thresholds: dict[str, Annotated[float, Field(gt=0.0, lt=1.0)]] = Field(
        default_factory=dict,
        description="Per-class score thresholds overriding score_threshold, e.g. {car: 0.5}.",
    )
    providers: list[str] = Field(
        default_factory=lambda: ["CPUExecutionProvider"],
        min_length=1,
        description="ONNX Runtime execution providers in order of preference"
        " (CUDAExecutionProvider, OpenVINOExecutionProvider when installed).",
    )
    # Frames from several cameras go through one session; a model whose batch axis is fixed
    # at 1 (YOLOX-Nano, YOLOv8 exports) is always run one frame at a time whatever this says.
    max_batch: int = Field(default=4, ge=1, le=32)
    warm_up: bool = Field(default=True, description="Run one blank frame before the first camera.")
    # auto: frames keep their aspect ratio in the network input when the model's manifest
    # allows it (input.rectangular), padded only up to the model's stride: a 1280x720 camera
    # runs YOLOX-Nano at 416x256 instead of 416x416, 38 % less work for the same detections.
    # square: always letterbox into the manifest's full input size.
    input_shape: Literal["auto", "square"] = "auto"

    @model_validator(mode="after")
    def _thresholds_for_kept_classes(self) -> Self:
        if self.classes is not None:
            dropped = sorted(set(self.class_thresholds) - set(self.classes))
            if dropped:
                raise ValueError(
                    f"class_thresholds names class(es) {dropped} that 'classes' filters out"
                )
        return self


SourceBackend = Literal["pyav", "opencv"]
DecodeSkip = Literal["auto", "exact", "none"]


class SourceSettings(_Model):
    """How cameras are opened and watched; one setting for every camera of the box."""

    # Cameras on a loaded 4G uplink can take several seconds for DESCRIBE/SETUP.
    open_timeout_s: float = Field(default=10.0, gt=0.0, le=120.0)
    # The watchdog: a stream silent this long is released and reopened.
    stall_timeout_s: float = Field(default=5.0, gt=0.0, le=300.0)
    # First retry quickly (a camera reboot), then double up to the cap so a dead camera
    # costs nothing and a recovered one is back within half a minute.
    reconnect_min_s: float = Field(default=1.0, gt=0.0, le=60.0)
    reconnect_max_s: float = Field(default=30.0, gt=0.0, le=3600.0)
    # PyAV drives FFmpeg's decoder itself (skipping, conversion only of analysed frames);
    # OpenCV's capture is the fallback should a PyAV build misbehave with some camera.
    backend: SourceBackend = "pyav"
    # What cameras and paced files may leave undecoded (PyAV only; replays as fast as possible
    # always decode everything, so they analyse exactly the frames they always did):
    # exact: drop frames nothing refers to (B-frames without dependants) while the rest still
    #   covers 1.5x the analysis rate; every picture is bit-exact (sample clip: 25 -> 13 fps
    #   decoded, 1.35x faster).
    # auto: exact's skipping plus no H.264 deblocking filter, 1.18x faster again; pictures
    #   differ by 0.56 of 255 grey levels on average, at most 1.2 at the end of a GOP
    #   (sample clip: 502 of 508 detections unchanged at IoU > 0.9). Choose exact for
    #   low-bitrate cameras, where deblocking matters more.
    # none: decode every frame fully.
    decode_skip: DecodeSkip = "auto"
    # One decoder thread per stream: with many streams per box, frame-parallel decoding only
    # adds synchronisation (measured: 2 single-threaded decoders beat 2 two-threaded ones).
    decoder_threads: int = Field(default=1, ge=0, le=16, description="0 lets FFmpeg choose.")
    # Reader threads run at this Linux nice level so that the one inference thread wins the
    # cores when both want them: without it, 16 decoders behind schedule starved inference to
    # 2 frames/s in benchmarks/edge.py. Decoders still get every idle cycle.
    reader_niceness: int = Field(default=10, ge=0, le=19)

    @model_validator(mode="after")
    def _back_off_order(self) -> Self:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError(
                f"reconnect_max_s ({self.reconnect_max_s}) is below reconnect_min_s"
                f" ({self.reconnect_min_s})"
            )
        return self


class MetricsConfig(_Model):
    """Prometheus /metrics of this box."""

    # Loopback by default: metrics reveal camera ids; expose them on purpose, not by accident.
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=9108, ge=0, le=65535, description="0 picks a free port.")


KIB = 1024
MIB = 1024 * KIB


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
    # May be empty while remote_config is on: the box then waits for central to send them.
    cameras: list[CameraConfig] = Field(default_factory=list)
    # 30 s keeps the stats topic cheap while an operator still sees a stalled camera quickly.
    stats_interval_s: float = Field(default=30.0, gt=0)
    # 512 KiB holds a 1080p frame at good quality and keeps alerts quick on a 4G uplink.
    snapshot_max_bytes: int = Field(default=512 * 1024, ge=16 * 1024, le=MAX_SNAPSHOT_BYTES)
    sources: SourceSettings = Field(default_factory=SourceSettings)
    motion: MotionConfig = Field(default_factory=MotionConfig)
    metrics: MetricsConfig | None = Field(default=None, description="Absent: no /metrics.")
    # Cameras replaced at run time from the retained per-edge config topic.
    remote_config: bool = Field(default=True)
    # Whether a config from central may name local files as cameras. Off: central (or anyone
    # able to publish that config) can point this box at network cameras only, never at a
    # file on it. Files stay allowed in this YAML, which only the box's operator writes.
    allow_file_sources_from_central: bool = False
    # Which addresses cameras from central may have: global ones, plus the networks listed
    # here (the box's camera LAN, e.g. 10.20.0.0/16). Checked when a config arrives and again,
    # on the resolved address, right before every connection. This YAML's own cameras are the
    # box operator's and are not checked.
    camera_url_policy: UrlPolicy = Field(default_factory=UrlPolicy)
    # Central may ask for a camera's latest frame (live snapshot for drawing zones, pictures for
    # sensor alarms); false if no picture may leave the box unless an alert carries it.
    remote_requests: bool = Field(default=True)
    # Largest MQTT packet the broker accepts (Mosquitto: max_packet_size / message_size_limit).
    # 256 KiB is below the defaults of Mosquitto (256 MiB) and EMQX (1 MiB), holds two good
    # 720p JPEGs, and keeps an alert quick over a 4G uplink; set it to the broker's own limit.
    # The snapshots of each alert step down until the whole message fits.
    broker_max_packet_bytes: int = Field(default=256 * KIB, ge=32 * KIB, le=256 * MIB)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    # How readers, cameras and inference workers are scheduled (``scheduling``): batch stops
    # a waking thread from preempting one that holds the GIL (2 more cameras on the 2-core
    # box); normal if the box shares its cores with latency-sensitive work.
    cpu_scheduling: CpuScheduling = DEFAULT_CPU_SCHEDULING
    # Pre/post-roll evidence clips of every event (docs/clips.md); absent: no clips.
    clips: ClipsConfig | None = None

    @model_validator(mode="after")
    def _unique_cameras(self) -> Self:
        require_unique("camera", [camera.id for camera in self.cameras])
        return self

    @model_validator(mode="after")
    def _cameras_from_somewhere(self) -> Self:
        if not self.cameras and not self.remote_config:
            raise ValueError(
                "no cameras: list at least one under 'cameras', or turn remote_config on to"
                " receive them from central"
            )
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
        """Largest framed alert that fits in one packet with its topic and headers."""
        return self.broker_max_packet_bytes - MQTT_PACKET_OVERHEAD_BYTES


def load_edge_config(path: Path | str) -> EdgeConfig:
    """Read and validate a YAML edge configuration, or raise ``ConfigError``."""
    return load_yaml_model(EdgeConfig, path, what="edge configuration", error=ConfigError)


def parse_edge_config(document: object, *, source: str = "<config>") -> EdgeConfig:
    return validate_document(
        EdgeConfig, document, source=source, what="edge configuration", error=ConfigError
    )


def parse_camera_configs(documents: object, *, source: str) -> list[CameraConfig]:
    """Validate a camera list received at run time; ``ConfigError`` names key and problem."""
    if not isinstance(documents, list):
        raise ConfigError(f"{source}: expected a list of cameras")
    cameras = validate_document(
        CameraList,
        {"cameras": documents},
        source=source,
        what="camera configuration",
        error=ConfigError,
    )
    return cameras.cameras
