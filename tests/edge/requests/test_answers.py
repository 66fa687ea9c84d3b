"""Building an answer from a real frame of the sample clip: the whole framed response fits the
broker's packet limit, the JPEG steps down to fit, and every camera state has its status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from gridwatch_contract.codec import decode_message, encode_framed
from gridwatch_contract.edge_requests import EdgeResponse, ResponseStatus
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.requests import Answerer, LiveCamera, ResponseLimits
from gridwatch_edge.sources.frame import Frame
from tests.contract.factories import make_edge_request
from tests.edge.requests.live_edge import decoded

TAKEN_AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@dataclass
class Camera:
    """A camera's state as a request sees it (what ``CameraPipeline`` exposes)."""

    online: bool
    latest_frame: Frame | None


class Cameras:
    def __init__(self, **cameras: Camera) -> None:
        self._cameras = cameras

    def live_camera(self, camera_id: str) -> LiveCamera | None:
        return self._cameras.get(camera_id)


@pytest.fixture(scope="module")
def frame(vtest_clip: Path) -> Frame:
    capture = cv2.VideoCapture(str(vtest_clip))
    try:
        ok, image = capture.read()
    finally:
        capture.release()
    assert ok
    picture = ArrayPicture(np.asarray(image, dtype=np.uint8))
    return Frame(picture, index=0, media_time_s=0.0, captured_at=TAKEN_AT, live=True)


def _answer(cameras: Cameras, limits: ResponseLimits, **request: object) -> EdgeResponse:
    return Answerer("edge-01", cameras, limits).answer(make_edge_request(**request))


def test_the_response_fits_the_packet_limit_by_stepping_the_jpeg_down(frame: Frame) -> None:
    cameras = Cameras(**{"cam-01": Camera(online=True, latest_frame=frame)})
    roomy = _answer(cameras, ResponseLimits(1_000_000, 1_000_000), max_width=None)
    assert roomy.snapshot is not None
    assert (roomy.snapshot.width, roomy.captured_at) == (768, TAKEN_AT)

    limit = 12_000  # below the full-size JPEG at the lowest quality: the width must shrink
    tight = _answer(cameras, ResponseLimits(limit, 1_000_000), max_width=None)
    payload = encode_framed(tight)
    assert len(payload) <= limit
    assert tight.snapshot is not None
    assert tight.snapshot.width < 768
    assert decode_message(EdgeResponse, payload) == tight
    assert tight.snapshot.data is not None
    assert decoded(tight.snapshot.data).shape[1] == tight.snapshot.width

    capped = _answer(cameras, ResponseLimits(1_000_000, 9_000), max_width=None)
    assert capped.snapshot is not None
    assert capped.snapshot.data is not None
    assert len(capped.snapshot.data) <= 9_000

    hopeless = _answer(cameras, ResponseLimits(600, 1_000_000))
    assert hopeless.status is ResponseStatus.ERROR
    assert "snapshot too large" in (hopeless.reason or "")


@pytest.mark.parametrize(
    ("camera", "status", "reason"),
    [
        (None, ResponseStatus.CAMERA_UNKNOWN, "edge edge-01 runs no camera cam-01"),
        (Camera(online=False, latest_frame=None), ResponseStatus.CAMERA_OFFLINE, "offline"),
        (Camera(online=True, latest_frame=None), ResponseStatus.NO_FRAME_YET, "not delivered"),
    ],
)
def test_a_camera_without_a_picture_says_why(
    camera: Camera | None, status: ResponseStatus, reason: str
) -> None:
    cameras = Cameras() if camera is None else Cameras(**{"cam-01": camera})
    response = _answer(cameras, ResponseLimits(100_000, 100_000))
    assert response.status is status
    assert reason in (response.reason or "")
    assert response.snapshot is None
