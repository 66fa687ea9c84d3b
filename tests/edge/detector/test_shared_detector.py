"""One detector for the box: per-class thresholds, providers, warm-up, batching decision and
the single inference thread serving several cameras at once."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import pytest

from gridwatch_edge.config import DetectorConfig
from gridwatch_edge.detector import Detector, load_detector
from gridwatch_edge.errors import ModelError
from gridwatch_edge.shared_detector import SharedDetector

PERSON, BUS = 0, 5


@pytest.fixture(scope="module")
def bus(images_dir: Path) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.imread(str(images_dir / "bus.jpg")), dtype=np.uint8)


def _load(config: DetectorConfig, models_dir: Path, manifest_dirs: list[Path]) -> Detector:
    return load_detector(config, models_dir=models_dir, manifest_dirs=manifest_dirs)


def test_per_class_thresholds(
    bus: npt.NDArray[np.uint8], models_dir: Path, manifest_dirs: list[Path]
) -> None:
    plain = _load(DetectorConfig(), models_dir, manifest_dirs).detect(bus)
    strict = _load(
        DetectorConfig(class_thresholds={"person": 0.8}), models_dir, manifest_dirs
    ).detect(bus)
    persons = plain.confidence[plain.class_id == PERSON]
    assert len(persons) >= 3
    kept = strict.confidence[strict.class_id == PERSON]
    assert sorted(kept.tolist()) == sorted(p for p in persons.tolist() if p >= 0.8)
    assert len(kept) < len(persons)
    assert (strict.class_id == BUS).sum() == (plain.class_id == BUS).sum() == 1


def test_unknown_class_in_thresholds_is_refused(
    models_dir: Path, manifest_dirs: list[Path]
) -> None:
    with pytest.raises(ModelError, match=r"class_thresholds.*'unicorn'"):
        _load(DetectorConfig(class_thresholds={"unicorn": 0.5}), models_dir, manifest_dirs)


def test_unavailable_provider_is_refused_naming_the_available_ones(
    models_dir: Path, manifest_dirs: list[Path]
) -> None:
    missing = "TensorrtExecutionProvider"
    assert missing not in ort.get_available_providers()
    with pytest.raises(ModelError, match=r"providers.*Tensorrt.*CPUExecutionProvider"):
        _load(DetectorConfig(providers=[missing]), models_dir, manifest_dirs)


def test_warm_up_ran_and_batch_axis_is_read_from_the_model(
    models_dir: Path, manifest_dirs: list[Path]
) -> None:
    detector = load_detector(DetectorConfig(), models_dir=models_dir, manifest_dirs=manifest_dirs)
    assert detector.warm_up_ms is not None
    assert detector.warm_up_ms > 0
    # YOLOX-Nano's input is [1, 3, 416, 416]: batching cannot pay, frames go one by one.
    assert not detector.accepts_batches
    assert SharedDetector(detector, max_batch=8).max_batch == 1


def test_one_inference_thread_serves_many_cameras(
    yolox: Detector, bus: npt.NDArray[np.uint8]
) -> None:
    expected = yolox.detect(bus)
    shared = SharedDetector(yolox)
    shared.start()
    results = []
    lock = threading.Lock()

    def camera() -> None:
        for _ in range(3):
            detections = shared.detect(bus)
            with lock:
                results.append(detections)

    threads = [threading.Thread(target=camera) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        shared.close()
    assert len(results) == 12
    for detections in results:
        assert np.array_equal(detections.class_id, expected.class_id)
        assert np.allclose(detections.xyxy, expected.xyxy)
    assert shared.frames == 12
    assert shared.inference_ms_p50() is not None
