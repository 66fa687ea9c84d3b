"""YOLOX-Nano on the real bus photo: the decode is right to a few pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from gridwatch_edge.detections import Detections
from gridwatch_edge.detector import Detector
from gridwatch_edge.detector.candidates import Postprocess, to_detections
from gridwatch_edge.detector.input_size import InputSize
from gridwatch_edge.detector.yolox import YoloxDecoder

# Recorded once from this implementation and checked by drawing them on the image.
EXPECTED_BUS = (13.1, 231.1, 801.3, 735.1)
EXPECTED_PERSONS = (
    (50.4, 394.2, 214.5, 898.4),
    (219.3, 402.6, 347.1, 855.5),
    (685.8, 450.6, 810.0, 874.2),
)
TOLERANCE_PX = 4.0


@pytest.fixture(scope="module")
def bus_image(images_dir: Path) -> np.ndarray:
    image = cv2.imread(str(images_dir / "bus.jpg"))
    assert image is not None
    return image


def _boxes_of(detector: Detector, image: np.ndarray, name: str) -> np.ndarray:
    detections = detector.detect(image)
    class_id = list(detector.class_names).index(name)
    return detections.of_classes([class_id]).xyxy


def test_finds_the_bus_where_it_is(yolox: Detector, bus_image: np.ndarray) -> None:
    buses = _boxes_of(yolox, bus_image, "bus")
    assert len(buses) == 1
    np.testing.assert_allclose(buses[0], EXPECTED_BUS, atol=TOLERANCE_PX)


def test_finds_the_persons_where_they_are(yolox: Detector, bus_image: np.ndarray) -> None:
    persons = _boxes_of(yolox, bus_image, "person")
    assert len(persons) >= 3
    for expected in EXPECTED_PERSONS:
        distances = np.abs(persons - np.asarray(expected)).max(axis=1)
        assert distances.min() <= TOLERANCE_PX, f"no person box near {expected}: {persons}"


def test_scores_and_boxes_are_well_formed(yolox: Detector, bus_image: np.ndarray) -> None:
    detections = yolox.detect(bus_image)
    height, width = bus_image.shape[:2]
    assert ((detections.confidence >= 0.3) & (detections.confidence <= 1)).all()
    assert (detections.xyxy[:, [0, 1]] <= detections.xyxy[:, [2, 3]]).all()
    assert (detections.xyxy[:, [0, 2]] <= width).all()
    assert (detections.xyxy[:, [1, 3]] <= height).all()
    assert (detections.tracker_id == -1).all()


def test_model_info_comes_from_the_manifest(yolox: Detector) -> None:
    assert yolox.model_info.name == "yolox_nano"
    assert len(yolox.class_names) == 80


@pytest.mark.parametrize("thresholds", [None, {0: 0.2, 2: 0.6}])
def test_dropping_unpromising_anchors_keeps_every_detection(
    thresholds: dict[int, float] | None,
) -> None:
    """Anchors below the lowest threshold are dropped before decoding: same detections."""
    rng = np.random.default_rng(3)
    size = InputSize(width=416, height=256)
    classes = 80
    output = rng.random((1, YoloxDecoder().anchor_count(size), 5 + classes), dtype=np.float32)
    output[..., 4] **= 6  # objectness mostly low, as on a real scene
    per_class = None
    if thresholds is not None:
        per_class = np.full(classes, 0.3, np.float32)
        for class_id, value in thresholds.items():
            per_class[class_id] = value
    settings = Postprocess(0.3, 0.45, None, per_class)
    lowest = 0.3 if per_class is None else float(per_class.min())

    def detect(decoder: YoloxDecoder) -> Detections:
        return to_detections(decoder(output, size), settings, scale=0.325, image_size=(1280, 720))

    everything, filtered = detect(YoloxDecoder()), detect(YoloxDecoder(min_score=lowest))
    assert len(everything.confidence) > 10
    np.testing.assert_array_equal(filtered.xyxy, everything.xyxy)
    np.testing.assert_array_equal(filtered.confidence, everything.confidence)
    np.testing.assert_array_equal(filtered.class_id, everything.class_id)
