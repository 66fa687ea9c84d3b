"""The Ultralytics export format (YOLOv8n int8) through the same detector code path."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from gridwatch_edge.config import DetectorConfig
from gridwatch_edge.detector import load_detector


def test_yolov8n_finds_bus_and_persons(
    models_dir: Path, manifest_dirs: list[Path], images_dir: Path
) -> None:
    detector = load_detector(
        DetectorConfig(model="yolov8n_int8"), models_dir=models_dir, manifest_dirs=manifest_dirs
    )
    image = _bus(images_dir)
    detections = detector.detect(image)
    names = [detector.class_names[i] for i in detections.class_id]
    assert names.count("bus") == 1
    assert names.count("person") >= 3
    bus = detections.xyxy[names.index("bus")]
    # Same bus as YOLOX sees, within the looser agreement of two different models.
    np.testing.assert_allclose(bus, (13.1, 231.1, 801.3, 735.1), atol=30)


def test_class_filter_keeps_only_the_configured_classes(
    models_dir: Path, manifest_dirs: list[Path], images_dir: Path
) -> None:
    detector = load_detector(
        DetectorConfig(classes=["bus"]), models_dir=models_dir, manifest_dirs=manifest_dirs
    )
    image = _bus(images_dir)
    detections = detector.detect(image)
    assert len(detections) == 1
    assert detector.class_names[int(detections.class_id[0])] == "bus"


def _bus(images_dir: Path) -> np.ndarray[tuple[int, ...], np.dtype[np.uint8]]:
    image = cv2.imread(str(images_dir / "bus.jpg"))
    assert image is not None
    return np.asarray(image, dtype=np.uint8)
