"""Versioned message models of contract v1.

Every model forbids unknown fields and is frozen: a message is a value, and a field a sender
adds without bumping the version is a bug we want to hear about, not silently drop.
Bytes travel as base64url in JSON (``ser_json_bytes``), raw bytes in Python. A snapshot's
bytes may instead travel raw after the JSON in the framed form (``gridwatch_contract.framing``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gridwatch_contract.framing import BAD_ATTACHMENT, AttachmentReader, AttachmentWriter
from gridwatch_contract.topics import validate_id

SCHEMA_VERSION: Final[Literal[1]] = 1
"""The only message version this build reads and writes."""

# A snapshot is carried inline in the alert; brokers default to 256 MiB packets but real
# deployments cap them far lower, and the edge steps JPEG size down to fit. 4 MiB is the most
# any sane camera snapshot needs and bounds what central will ever hold in memory for one field.
MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024
# One frame of a crowded square holds a few hundred people at most; more is a broken detector.
MAX_OBJECTS = 500
# Receipts per ack message: a whole stored batch of one edge fits (~80 bytes each, so at most
# ~80 KB, far below any broker's packet limit).
MAX_RECEIPTS = 1000
# A reason or error text: one line of a log (FFmpeg's reason for a lost stream, say).
MAX_REASON_LENGTH = 500

# Values every receiver can store and compute with. A message that merely parses can still
# stall a consumer: an integer beyond a 32-bit column, a NUL that PostgreSQL text refuses, NaN
# that is not JSON, a year-1 timestamp that overflows on the first time zone shift. The contract
# refuses them at the sender, so such a message never leaves the edge.
#
# ``sequence`` is a 32-bit column in central; 2**31 - 1 messages of one event is decades of
# updates at one a second.
MAX_SEQUENCE = 2**31 - 1
# Counters and ids that are only carried, never stored in a fixed-width column: the largest
# integer a JSON reader using doubles (JavaScript dashboards) still reads exactly.
MAX_JSON_INT = 2**53 - 1
# Earliest and latest instants an edge may report. An edge box without a real-time clock
# battery boots in 1970 until NTP answers, so 1970 stays valid; 2100 leaves room for any
# deployment while keeping arithmetic (merge windows, deadlines) far from datetime's limits.
EARLIEST_TIME: Final = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME: Final = datetime(2100, 1, 1, tzinfo=UTC)
# Free text (class names, model versions, URLs, reasons) carries no control characters: a
# NUL is refused by PostgreSQL text columns, the others only garble logs and dashboards.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


def _within_time_range(value: datetime) -> datetime:
    if not EARLIEST_TIME <= value < LATEST_TIME:
        raise ValueError(
            f"timestamp must lie between {EARLIEST_TIME.date()} and {LATEST_TIME.date()} UTC"
        )
    return value


Identifier = Annotated[str, AfterValidator(validate_id)]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
Timestamp = Annotated[AwareDatetime, AfterValidator(_within_time_range)]
Count = Annotated[int, Field(ge=0, le=MAX_JSON_INT)]

# Free text: a short name (class, model, version) or a longer text, bounded either way.
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=NO_CONTROL_CHARACTERS)]
Url = Annotated[str, Field(max_length=2048, pattern=NO_CONTROL_CHARACTERS)]
Reason = Annotated[str, Field(max_length=MAX_REASON_LENGTH, pattern=NO_CONTROL_CHARACTERS)]


class _Message(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
        # NaN and Infinity are not JSON and poison whatever computes with them.
        allow_inf_nan=False,
    )


class _VersionedMessage(_Message):
    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Contract version; a reader rejects any other."
    )


class EventType(StrEnum):
    """What an alert is about. Central maps each to a case category by configuration."""

    CROWD = "crowd"
    ROAD_BLOCKAGE = "road_blockage"
    ILLEGAL_PARKING = "illegal_parking"
    LEFT_OBJECT = "left_object"
    LITTERING = "littering"
    LINE_CROSSING = "line_crossing"
    CAMERA_OFFLINE = "camera_offline"
    CAMERA_ONLINE = "camera_online"


class AlertState(StrEnum):
    """Lifecycle of one real-world event: one ``new``, any number of ``update``, one ``end``."""

    NEW = "new"
    UPDATE = "update"
    END = "end"


class EdgeAvailability(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class BoundingBox(_Message):
    """Axis-aligned box in pixels of the analysed frame (``x1 <= x2``, ``y1 <= y2``)."""

    x1: float = Field(ge=0)
    y1: float = Field(ge=0)
    x2: float = Field(ge=0)
    y2: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.x2 < self.x1 or self.y2 < self.y1:
            raise ValueError("box corners must satisfy x1 <= x2 and y1 <= y2")
        return self


class DetectedObject(_Message):
    class_name: Name
    class_id: Count
    score: Score
    box: BoundingBox
    track_id: Count | None = Field(default=None, description="Tracker id, when tracked.")


class GeoPoint(_Message):
    """WGS-84 position. Chinese map services use GCJ-02; convert before sending."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class FrameSize(_Message):
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)


class Snapshot(_Message):
    """A JPEG of the moment, inline (``data``) or stored elsewhere (``url``), never both.

    In the framed form ``data`` is an ``attachment`` reference in the JSON header and the bytes
    follow the header raw (``gridwatch_contract.framing``).
    """

    content_type: Literal["image/jpeg"] = "image/jpeg"
    data: bytes | None = Field(default=None, max_length=MAX_SNAPSHOT_BYTES)
    url: Url | None = None
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)

    @model_validator(mode="before")
    @classmethod
    def _attached_data(cls, value: Any, info: ValidationInfo) -> Any:
        """In a framed payload: ``attachment`` becomes ``data``, the bytes it points at."""
        attachments = info.context
        if not isinstance(attachments, AttachmentReader) or not isinstance(value, dict):
            return value
        if "attachment" not in value:
            return value
        if "data" in value:
            raise PydanticCustomError(BAD_ATTACHMENT, "a snapshot has 'data' or 'attachment'")
        fields = {key: field for key, field in value.items() if key != "attachment"}
        return fields | {"data": attachments.take(value["attachment"])}

    @model_serializer(mode="wrap")
    def _detached_data(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """When framing: ``data`` leaves the JSON for an ``attachment`` reference, in place."""
        document: dict[str, Any] = handler(self)
        attachments = info.context
        if not isinstance(attachments, AttachmentWriter) or self.data is None:
            return document
        reference = attachments.add(self.data)
        return {
            ("attachment" if key == "data" else key): (reference if key == "data" else field)
            for key, field in document.items()
        }

    @model_validator(mode="after")
    def _exactly_one_source(self) -> Self:
        if (self.data is None) == (self.url is None):
            raise ValueError("a snapshot carries exactly one of 'data' or 'url'")
        return self


class ModelInfo(_Message):
    name: Name
    version: Name


class AlertMessage(_VersionedMessage):
    """One lifecycle message of one event seen by one camera.

    ``alert_id`` is unique per message and is the idempotency key end to end (outbox, broker
    redelivery, central storage, ack). ``event_id`` is shared by the ``new``/``update``/``end``
    messages of the same event, so central can attach updates to the case the ``new`` opened.
    """

    alert_id: UUID
    event_id: UUID
    sequence: int = Field(
        ge=0, le=MAX_SEQUENCE, description="0 for 'new', then +1 per message of the event."
    )
    edge_id: Identifier
    camera_id: Identifier
    event_type: EventType
    rule_id: Identifier
    zone_id: Identifier | None = None
    state: AlertState
    started_at: Timestamp
    updated_at: Timestamp
    media_time_s: float | None = Field(
        default=None, ge=0, description="Position in a recorded file, for replays."
    )
    confidence: Score
    objects: list[DetectedObject] = Field(default_factory=list, max_length=MAX_OBJECTS)
    measurements: dict[Identifier, float] = Field(
        default_factory=dict,
        max_length=32,
        description="Rule-specific figures, e.g. person_count, density_per_zone_area.",
    )
    frame: FrameSize
    location: GeoPoint | None = None
    snapshot: Snapshot | None = Field(
        default=None, description="The frame with the zone and the involved objects drawn."
    )
    clean_snapshot: Snapshot | None = Field(
        default=None, description="The same frame without drawings, as evidence for the case."
    )
    model: ModelInfo
    clip_id: UUID | None = Field(
        default=None,
        description="The event's evidence clip, sent apart (clip topics); it may arrive later.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.updated_at < self.started_at:
            raise ValueError("updated_at must not be before started_at")
        if (self.state is AlertState.NEW) != (self.sequence == 0):
            raise ValueError("state 'new' goes with sequence 0 and only with it")
        return self


class AlertReceipt(_Message):
    """What became of one alert: committed (``stored``/``duplicate``) or never will be."""

    alert_id: UUID
    status: Literal["stored", "duplicate", "rejected"]
    reason: Reason | None = None


class AlertAck(_VersionedMessage):
    """Central's application-level receipts for one edge, sent after the commit.

    One message per edge per stored batch rather than one per alert: at thousands of alerts a
    second a publish per receipt cost central, the broker and the edge more than storing them.
    """

    receipts: list[AlertReceipt] = Field(min_length=1, max_length=MAX_RECEIPTS)


class CameraConfigProblem(_Message):
    """Why one camera of a config revision was refused."""

    camera: Name = Field(description="The camera's id, or #<index> when its id is unusable.")
    reason: Reason


class ConfigReport(_Message):
    """What the edge made of the configs central sent it (``EdgeConfigMessage``)."""

    applied_revision: Count | None = Field(
        default=None, description="The revision it runs; None: none received yet."
    )
    rejected_revision: Count | None = Field(
        default=None, description="The newest revision it refused (newer than the applied one)."
    )
    error: Reason | None = Field(default=None, description="Why that revision was refused.")
    cameras: list[CameraConfigProblem] = Field(
        default_factory=list, max_length=256, description="The refused revision's bad cameras."
    )


class EdgeStatusMessage(_VersionedMessage):
    """Retained availability; the broker publishes the ``offline`` last will for a dead edge.

    ``config`` was added compatibly (optional): an older edge never sends it, and a status
    without it (the last will) leaves what central knows of the edge's config unchanged.
    """

    edge_id: Identifier
    state: EdgeAvailability
    at: Timestamp
    software_version: Name
    config: ConfigReport | None = Field(
        default=None, description="The config revision applied or refused, if any was received."
    )


class CameraStats(_Message):
    camera_id: Identifier
    online: bool
    connection: Literal["good", "degraded", "offline"] | None = Field(
        default=None,
        description="Connection quality: degraded = reconnected this hour or losing frames.",
    )
    input_fps: float = Field(ge=0)
    analysed_fps: float = Field(ge=0)
    frames_read: Count
    frames_analysed: Count
    frames_skipped: Count
    frames_motion_skipped: Count = Field(
        default=0, description="Analysed frames the motion gate kept from the detector."
    )
    reconnects_last_hour: Count = 0
    alerts: Count
    last_frame_at: Timestamp | None = Field(
        default=None, description="When the newest frame arrived; None before the first one."
    )
    last_error: Reason | None = Field(
        default=None,
        description="Why the stream was last lost or failed to open (never with credentials).",
    )
    last_error_at: Timestamp | None = None


class EdgeStatsMessage(_VersionedMessage):
    edge_id: Identifier
    at: Timestamp
    uptime_s: float = Field(ge=0)
    cameras: list[CameraStats] = Field(max_length=256)
    outbox_depth: Count = 0
    inference_ms_p50: float | None = Field(default=None, ge=0)
    stats_interval_s: float | None = Field(
        default=None,
        gt=0,
        description="Seconds between stats messages: central calls an edge stale after a few"
        " intervals without any message.",
    )
    model: ModelInfo | None = Field(default=None, description="The detector the edge runs.")


class EdgeConfigMessage(_VersionedMessage):
    """The cameras (with their zones and rules) an edge box should run, published retained on
    the edge's config topic by central or an integrator.

    The edge applies a revision higher than the one it runs: cameras whose settings did not
    change keep running untouched. Each camera object is a ``CameraConfig`` of
    ``gridwatch_contract.camera`` (id, url, zones, rules, ...), the model central validates
    with before publishing and the edge again before applying; a document with an invalid
    camera is rejected as a whole, and the edge reports why, per camera, in the ``config`` of
    its status message.
    """

    edge_id: Identifier
    revision: Count = Field(description="Monotonic; an edge ignores revisions it has run.")
    issued_at: Timestamp
    cameras: list[dict[str, Any]] = Field(max_length=256)
