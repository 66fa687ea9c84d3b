"""What asking an edge for a snapshot gives: the picture, or why there is none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gridwatch_contract.edge_requests import ResponseStatus


class SnapshotFailure(StrEnum):
    """Why a snapshot request brought no picture."""

    TIMEOUT = "timeout"  # no answer before the deadline (edge unknown, overloaded, cut off)
    EDGE_OFFLINE = "edge_offline"  # the edge's status (its last will) says it is offline
    CAMERA_UNKNOWN = "camera_unknown"  # the edge runs no such camera (registry and edge differ)
    CAMERA_OFFLINE = "camera_offline"  # the camera's stream is down
    NO_FRAME_YET = "no_frame_yet"  # the camera has not delivered a frame since it started
    EDGE_ERROR = "edge_error"  # the edge answered with an error (its reason says which)
    BUSY = "busy"  # central already waits for as many answers as it allows
    NOT_CONNECTED = "not_connected"  # central has no broker connection right now


FAILURE_OF_STATUS: dict[ResponseStatus, SnapshotFailure] = {
    ResponseStatus.CAMERA_UNKNOWN: SnapshotFailure.CAMERA_UNKNOWN,
    ResponseStatus.CAMERA_OFFLINE: SnapshotFailure.CAMERA_OFFLINE,
    ResponseStatus.NO_FRAME_YET: SnapshotFailure.NO_FRAME_YET,
    ResponseStatus.ERROR: SnapshotFailure.EDGE_ERROR,
}


@dataclass(frozen=True, slots=True)
class SnapshotOk:
    edge_id: str
    camera_id: str
    jpeg: bytes
    width: int
    height: int
    captured_at: datetime  # when the camera took the frame (the edge's clock)
    round_trip_s: float  # from sending the request to receiving the answer


@dataclass(frozen=True, slots=True)
class SnapshotFailed:
    edge_id: str
    camera_id: str
    failure: SnapshotFailure
    reason: str


SnapshotResult = SnapshotOk | SnapshotFailed
