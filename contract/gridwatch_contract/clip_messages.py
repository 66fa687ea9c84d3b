"""Evidence clips on the wire: chunks of an MP4 (edge → central), receipts (central → edge).

A clip is cut by the edge when an event opens, remuxed into an MP4 and sent in chunks that each
fit one MQTT packet. A chunk is framed like an alert: its JSON header (``ClipChunkHeader``),
one NUL byte, then exactly ``length`` raw bytes of the file from ``offset``. Central answers
every chunk with a ``ClipAck`` naming the next offset it needs, so an upload resumes where it
stopped after any outage, and a clip is stored once (``clip_id``) whatever is sent twice.

``ClipUnavailableMessage`` tells central that a clip an alert announced will never come (the
edge's clip budget dropped it, or the stream could not be cut), so that "pending" never lies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from gridwatch_contract.codec import ContractError, decode_message, encode_message
from gridwatch_contract.framing import BAD_ATTACHMENT, FRAME_SEPARATOR
from gridwatch_contract.topics import validate_id

# A 60 s clip of an 8 Mbit/s 1080p main stream is 60 MB; four times that is a broken sender.
MAX_CLIP_BYTES: Final = 256 * 1024 * 1024
# Codecs a browser's <video> plays from an MP4 (H.265 in Safari and in Chrome/Edge with
# hardware support); anything else cannot become a clip without re-encoding.
ClipCodec = Literal["h264", "hevc"]
ClipAckStatus = Literal["partial", "stored", "duplicate", "rejected", "noted"]

Identifier = Annotated[str, AfterValidator(validate_id)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _ClipMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _VersionedClipMessage(_ClipMessage):
    schema_version: Literal[1] = Field(
        default=1, description="Contract version; a reader rejects any other."
    )


class ClipInfo(_ClipMessage):
    """What the clip shows: the same on every chunk, so any central process can file it."""

    content_type: Literal["video/mp4"] = "video/mp4"
    codec: ClipCodec
    width: int = Field(gt=0, le=16384)
    height: int = Field(gt=0, le=16384)
    starts_at: AwareDatetime = Field(description="Edge clock: the clip's first frame.")
    ends_at: AwareDatetime = Field(description="Edge clock: the clip's last frame.")
    event_at: AwareDatetime = Field(description="Edge clock: when the event opened.")
    truncated: bool = Field(
        default=False, description="The stream was lost before the post-roll was complete."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at must not be before starts_at")
        return self

    @property
    def duration_s(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds()


class ClipChunkHeader(_VersionedClipMessage):
    """The JSON header of one framed chunk; ``length`` raw bytes follow the NUL."""

    clip_id: UUID
    event_id: UUID
    edge_id: Identifier
    camera_id: Identifier
    offset: int = Field(ge=0, description="Where in the file the chunk's bytes start.")
    length: int = Field(ge=1, description="Bytes after the NUL separator.")
    total_bytes: int = Field(ge=1, le=MAX_CLIP_BYTES, description="Size of the whole file.")
    sha256: Sha256Hex = Field(description="Of the whole file: central checks it when complete.")
    info: ClipInfo

    @model_validator(mode="after")
    def _inside_the_file(self) -> Self:
        if self.offset + self.length > self.total_bytes:
            raise ValueError(
                f"chunk {self.offset}+{self.length} exceeds the file's {self.total_bytes} bytes"
            )
        return self


class ClipUnavailableMessage(_VersionedClipMessage):
    """A clip announced by an alert (``clip_id``) that will never be sent."""

    clip_id: UUID
    event_id: UUID
    edge_id: Identifier
    camera_id: Identifier
    reason: str = Field(min_length=1, max_length=500)


class ClipAck(_VersionedClipMessage):
    """Central's answer to one chunk or notice, sent once what it says is durable.

    ``partial``: keep sending from ``next_offset``. ``stored``/``duplicate``: the clip is kept
    (now, or already): release it. ``rejected``: the upload was refused (``reason``) and
    discarded; send it again from ``next_offset`` (0). ``noted``: an unavailable notice is
    recorded.
    """

    clip_id: UUID
    status: ClipAckStatus
    next_offset: int = Field(ge=0)
    reason: str | None = Field(default=None, max_length=500)


@dataclass(frozen=True, slots=True)
class ClipChunk:
    header: ClipChunkHeader
    data: bytes


def encode_clip_chunk(header: ClipChunkHeader, data: bytes) -> bytes:
    if len(data) != header.length:
        raise ValueError(f"header says {header.length} bytes, the chunk has {len(data)}")
    return b"".join([encode_message(header), FRAME_SEPARATOR, data])


def decode_clip_chunk(payload: bytes, *, max_bytes: int) -> ClipChunk:
    """A framed chunk, or ``ContractError`` (the same codes as alerts)."""
    if len(payload) > max_bytes:
        raise ContractError("too_large", f"payload of {len(payload)} bytes exceeds {max_bytes}")
    header_bytes, separator, data = payload.partition(FRAME_SEPARATOR)
    if not separator:
        raise ContractError(BAD_ATTACHMENT, "a clip chunk is a JSON header, a NUL, then bytes")
    header = decode_message(ClipChunkHeader, header_bytes, max_bytes=max_bytes)
    if len(data) != header.length:
        raise ContractError(
            BAD_ATTACHMENT, f"header says {header.length} bytes follow, {len(data)} did"
        )
    return ClipChunk(header, data)
