"""The motion gate on real footage: a still scene skips the detector except for the periodic
forced detection; people walking are always detected."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gridwatch_edge.config import MotionConfig
from gridwatch_edge.motion import MotionGate
from gridwatch_edge.picture import ArrayPicture


def _frames(clip: Path, count: int, step: int) -> list[npt.NDArray[np.uint8]]:
    capture = cv2.VideoCapture(str(clip))
    frames: list[npt.NDArray[np.uint8]] = []
    index = 0
    while len(frames) < count:
        ok, image = capture.read()
        assert ok, "the clip ended early"
        if index % step == 0:
            frames.append(np.asarray(image, dtype=np.uint8))
        index += 1
    capture.release()
    return frames


@pytest.fixture(scope="module")
def walking(vtest_clip: Path) -> list[npt.NDArray[np.uint8]]:
    return _frames(vtest_clip, 20, step=2)  # 5 fps analysis of the 10 fps clip


def test_a_still_scene_skips_the_detector_but_forces_it_periodically(
    walking: list[npt.NDArray[np.uint8]],
) -> None:
    gate = MotionGate(MotionConfig(max_skip_s=2.0))
    rng = np.random.default_rng(7)
    still = walking[0]
    decisions = []
    for step in range(25):  # 5 s at 5 fps of the same real frame, with sensor noise
        noise = rng.integers(-4, 5, still.shape)
        noisy = np.clip(still.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        decisions.append(gate.should_detect(ArrayPicture(noisy), media_time_s=step * 0.2))
    detected_at = [round(i * 0.2, 1) for i, detect in enumerate(decisions) if detect]
    assert detected_at == [0.0, 2.0, 4.0]  # the first frame, then every max_skip_s
    assert gate.frames_skipped == 22
    assert gate.skip_ratio == pytest.approx(22 / 25)


def test_people_walking_are_always_detected(walking: list[npt.NDArray[np.uint8]]) -> None:
    gate = MotionGate(MotionConfig())
    decisions = [
        gate.should_detect(ArrayPicture(frame), i * 0.2) for i, frame in enumerate(walking)
    ]
    assert all(decisions)
    assert gate.frames_skipped == 0


def test_a_small_change_below_the_threshold_is_skipped(
    walking: list[npt.NDArray[np.uint8]],
) -> None:
    gate = MotionGate(MotionConfig())
    frame = walking[0].copy()
    assert gate.should_detect(ArrayPicture(frame), 0.0)
    frame[10:12, 10:12] = 255 - frame[10:12, 10:12]  # 4 pixels of 442 368: compression noise
    assert not gate.should_detect(ArrayPicture(frame), 0.2)
    frame[200:330, 300:360] = 0  # a person-sized dark blob appears
    assert gate.should_detect(ArrayPicture(frame), 0.4)
