"""Snapshots fit their byte budget by lowering quality, then resolution."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from gridwatch_edge.detections import Detections
from gridwatch_edge.snapshot import SnapshotTooLargeError, annotate, encode_jpeg


@pytest.fixture(scope="module")
def bus(images_dir: Path) -> np.ndarray:
    image = cv2.imread(str(images_dir / "bus.jpg"))
    assert image is not None
    return image


def test_full_size_when_it_fits(bus: np.ndarray) -> None:
    snapshot = encode_jpeg(bus, max_bytes=1_000_000)
    assert (snapshot.width, snapshot.height) == (810, 1080)
    assert cv2.imdecode(np.frombuffer(snapshot.data, np.uint8), cv2.IMREAD_COLOR) is not None


def test_steps_down_until_it_fits(bus: np.ndarray) -> None:
    snapshot = encode_jpeg(bus, max_bytes=20_000)
    assert len(snapshot.data) <= 20_000
    assert snapshot.width < 810
    decoded = cv2.imdecode(np.frombuffer(snapshot.data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    assert decoded.shape[:2] == (snapshot.height, snapshot.width)


def test_impossible_budget_is_an_error(bus: np.ndarray) -> None:
    with pytest.raises(SnapshotTooLargeError):
        encode_jpeg(bus, max_bytes=500)


def test_annotation_draws_without_touching_the_frame(bus: np.ndarray) -> None:
    detections = Detections.create([[10, 10, 200, 300]], [0.9], [0])
    polygon = np.array([[0, 0], [400, 0], [400, 400]], dtype=np.int32)
    drawn = annotate(bus, detections, ["person"], [polygon])
    assert not np.array_equal(drawn, bus)
    assert drawn.shape == bus.shape
