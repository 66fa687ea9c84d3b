"""Request/response between central and one edge: central asks, the edge answers once.

Central publishes an ``EdgeRequest`` on ``Topics.edge_requests(edge_id)``; the edge answers
with an ``EdgeResponse`` carrying the same ``request_id`` on ``Topics.edge_responses(edge_id)``.
Neither is retained and both go at QoS 1. A request is worth something only for seconds (a
person waits for a picture, an alarm waits for its evidence), so it carries a ``deadline``: an
edge drops a request received after it (delayed in a queue, retained by mistake, replayed), and
central forgets a request at its deadline, ignoring an answer that comes later.

``kind`` says what is asked. Today only ``snapshot`` (the camera's most recent decoded frame
as a JPEG); a clip will be another kind with its own parameters. An edge that does not know a
kind answers ``error`` at once instead of leaving central to time out.

A response's JPEG travels framed (``gridwatch_contract.framing``: JSON header, NUL, raw bytes),
as an alert's snapshots do, never base64.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from gridwatch_contract.messages import Identifier, Snapshot, _VersionedMessage

# The longest a request may live. A console user gives up on a picture after seconds and the
# alarm linkage wants its picture within 5 s; a minute covers a slow uplink with room to spare,
# and bounds how stale a picture an edge can ever be made to send.
MAX_REQUEST_TTL_S: Final = 60.0
# Narrower than that makes no sense for a camera picture; wider than a 16K frame is no camera.
MIN_REQUEST_WIDTH_PX: Final = 32
MAX_REQUEST_WIDTH_PX: Final = 16384


class RequestKind(StrEnum):
    """What central asks an edge for."""

    SNAPSHOT = "snapshot"  # the camera's most recent decoded frame, as a JPEG


class ResponseStatus(StrEnum):
    """How an edge answered; only ``ok`` carries a picture."""

    OK = "ok"
    CAMERA_UNKNOWN = "camera_unknown"  # this edge runs no camera with that id
    CAMERA_OFFLINE = "camera_offline"  # the camera's stream is down (reconnecting, or ended)
    NO_FRAME_YET = "no_frame_yet"  # connected, but no frame decoded since it (re)started
    ERROR = "error"  # anything else, explained in ``reason`` (also: unknown request kinds)


class EdgeRequest(_VersionedMessage):
    """Central asks one edge for something about one of its cameras."""

    request_id: UUID = Field(description="Unique per request; the response carries it back.")
    kind: RequestKind
    edge_id: Identifier = Field(description="The edge asked; it ignores requests for others.")
    camera_id: Identifier
    max_width: int | None = Field(
        default=None,
        ge=MIN_REQUEST_WIDTH_PX,
        le=MAX_REQUEST_WIDTH_PX,
        description="Largest picture width wanted (aspect kept); None: the camera's own.",
    )
    requested_at: AwareDatetime
    deadline: AwareDatetime = Field(
        description="The edge drops the request if it receives or finishes it later than this."
    )

    @model_validator(mode="after")
    def _bounded_life(self) -> Self:
        if self.deadline <= self.requested_at:
            raise ValueError("deadline must be after requested_at")
        if self.deadline - self.requested_at > timedelta(seconds=MAX_REQUEST_TTL_S):
            raise ValueError(f"deadline must be at most {MAX_REQUEST_TTL_S:g} s after requested_at")
        return self


class EdgeResponse(_VersionedMessage):
    """An edge's one answer to one ``EdgeRequest``."""

    request_id: UUID
    edge_id: Identifier = Field(description="The edge answering; the topic names it too.")
    camera_id: Identifier
    status: ResponseStatus
    reason: str | None = Field(
        default=None, max_length=500, description="Why, for every status but ok."
    )
    responded_at: AwareDatetime
    captured_at: AwareDatetime | None = Field(
        default=None, description="When the camera took the frame in the snapshot."
    )
    snapshot: Snapshot | None = Field(default=None, description="The frame, with status ok.")

    @model_validator(mode="after")
    def _picture_with_ok_only(self) -> Self:
        if self.status is ResponseStatus.OK:
            if self.snapshot is None or self.snapshot.data is None or self.captured_at is None:
                raise ValueError("status ok carries a snapshot with data and its captured_at")
        elif self.snapshot is not None or self.captured_at is not None:
            raise ValueError(f"status {self.status.value} carries no snapshot")
        elif not self.reason:
            raise ValueError(f"status {self.status.value} says why in 'reason'")
        return self
