"""The edge's answer to one of central's requests, built from what the cameras already hold.

A snapshot is the camera's latest analysed frame (a reference the pipeline keeps, see
``CameraPipeline.latest_frame``), converted to BGR (usually already done for the detector) and
JPEG-encoded only now, on the asking thread: the camera threads never wait for a request.
The JPEG steps down in quality, then size (``snapshot.encode_jpeg``), until the whole framed
response fits in one broker packet.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Protocol

from gridwatch_contract.codec import encode_framed
from gridwatch_contract.edge_requests import (
    EdgeRequest,
    EdgeResponse,
    ResponseStatus,
)
from gridwatch_contract.messages import Snapshot
from gridwatch_edge.snapshot import EncodedSnapshot, SnapshotTooLargeError, encode_jpeg
from gridwatch_edge.sources.frame import Frame

logger = logging.getLogger(__name__)

# The attachment reference in the header grows with the JPEG's length: from "length":0 to a
# length of at most 9 digits (a broker packet is below 256 MiB) adds 8 bytes; 16 is safe.
ATTACHMENT_DIGITS_BYTES: Final = 16
# Encoded JPEGs kept for reuse: the newest frame of each of this many cameras. Concurrent
# requests for one camera (a console and an alarm, or a burst) then encode its frame once.
ENCODED_CACHE_CAMERAS: Final = 64


class LiveCamera(Protocol):
    """What a running camera (``CameraPipeline``) tells a request."""

    @property
    def online(self) -> bool: ...

    @property
    def latest_frame(self) -> Frame | None: ...


class CameraLookup(Protocol):
    """The running cameras of this edge (``EdgeRuntime``)."""

    def live_camera(self, camera_id: str) -> LiveCamera | None: ...


@dataclass(frozen=True, slots=True)
class ResponseLimits:
    message_max_bytes: int  # the whole framed response: the broker's packet limit
    snapshot_max_bytes: int  # the JPEG on its own


@dataclass(frozen=True, slots=True)
class _Encoded:
    frame: Frame
    max_width: int | None
    snapshot: EncodedSnapshot


class Answerer:
    """Builds responses; one instance per handler thread (its JPEG cache is not locked)."""

    def __init__(
        self,
        edge_id: str,
        cameras: CameraLookup,
        limits: ResponseLimits,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._edge_id = edge_id
        self._cameras = cameras
        self._limits = limits
        self._clock = clock
        self._encoded: OrderedDict[str, _Encoded] = OrderedDict()

    def answer(self, request: EdgeRequest) -> EdgeResponse:
        camera = self._cameras.live_camera(request.camera_id)
        if camera is None:
            reason = f"edge {self._edge_id} runs no camera {request.camera_id}"
            return self.failure(request, ResponseStatus.CAMERA_UNKNOWN, reason)
        if not camera.online:
            reason = f"camera {request.camera_id} is offline (stream down or ended)"
            return self.failure(request, ResponseStatus.CAMERA_OFFLINE, reason)
        frame = camera.latest_frame
        if frame is None:
            reason = f"camera {request.camera_id} has not delivered a frame since it started"
            return self.failure(request, ResponseStatus.NO_FRAME_YET, reason)
        return self._snapshot(request, frame)

    def failure(self, request: EdgeRequest, status: ResponseStatus, reason: str) -> EdgeResponse:
        return EdgeResponse(
            request_id=request.request_id,
            edge_id=self._edge_id,
            camera_id=request.camera_id,
            status=status,
            reason=reason[:500],
            responded_at=self._clock(),
        )

    def _snapshot(self, request: EdgeRequest, frame: Frame) -> EdgeResponse:
        empty = _with_snapshot(request, self._edge_id, frame, b"", self._clock())
        header_bytes = len(encode_framed(empty)) + ATTACHMENT_DIGITS_BYTES
        budget = min(self._limits.snapshot_max_bytes, self._limits.message_max_bytes - header_bytes)
        try:
            encoded = self._encode(request.camera_id, frame, request.max_width, budget)
        except SnapshotTooLargeError as error:
            return self.failure(request, ResponseStatus.ERROR, f"snapshot too large: {error}")
        return _with_snapshot(request, self._edge_id, frame, encoded, self._clock())

    def _encode(
        self, camera_id: str, frame: Frame, max_width: int | None, budget: int
    ) -> EncodedSnapshot:
        cached = self._encoded.get(camera_id)
        if (
            cached is not None
            and cached.frame is frame
            and cached.max_width == max_width
            and len(cached.snapshot.data) <= budget
        ):
            return cached.snapshot
        if budget <= 0:
            raise SnapshotTooLargeError(f"the packet limit leaves {budget} bytes for the JPEG")
        snapshot = encode_jpeg(frame.image, max_bytes=budget, max_width=max_width)
        self._encoded[camera_id] = _Encoded(frame, max_width, snapshot)
        self._encoded.move_to_end(camera_id)
        if len(self._encoded) > ENCODED_CACHE_CAMERAS:  # removed cameras fall out here
            self._encoded.popitem(last=False)
        return snapshot


def _with_snapshot(
    request: EdgeRequest,
    edge_id: str,
    frame: Frame,
    picture: EncodedSnapshot | bytes,
    now: datetime,
) -> EdgeResponse:
    if isinstance(picture, bytes):  # a stand-in, to measure the header
        snapshot = Snapshot(data=picture, width=frame.width, height=frame.height)
    else:
        snapshot = Snapshot(data=picture.data, width=picture.width, height=picture.height)
    return EdgeResponse(
        request_id=request.request_id,
        edge_id=edge_id,
        camera_id=request.camera_id,
        status=ResponseStatus.OK,
        responded_at=now,
        captured_at=frame.captured_at,
        snapshot=snapshot,
    )
