"""One detector for the box: per-class thresholds, providers, warm-up, batching decision and
the inference workers serving several cameras at once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import pytest

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.config import DetectorConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.detector import Detector, load_detector
from gridwatch_edge.errors import ModelError
from gridwatch_edge.picture import Image, Picture, as_picture
from gridwatch_edge.shared_detector import SharedDetector, usable_cores

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


def _run_then_close(shared: SharedDetector, cameras: list[threading.Thread]) -> None:
    try:
        for thread in cameras:
            thread.start()
        for thread in cameras:
            thread.join(60)
    finally:
        shared.close()


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

    _run_then_close(shared, [threading.Thread(target=camera) for _ in range(4)])
    assert len(results) == 12
    for detections in results:
        assert np.array_equal(detections.class_id, expected.class_id)
        assert np.allclose(detections.xyxy, expected.xyxy)
    assert shared.frames == 12
    assert shared.inference_ms_p50() is not None


class _FakeDetector:
    """Answers with one box whose confidence encodes the image's first pixel, can fail on a
    marked image, and can hold its workers until released."""

    class_names = ("person",)
    model_info = ModelInfo(name="fake", version="1")
    accepts_batches = False

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Semaphore(0)

    def detect(self, image: Image | Picture) -> Detections:
        self.entered.release()
        self.release.wait(30)
        marker = int(as_picture(image).bgr()[0, 0, 0])
        if marker == FAILING:
            raise ValueError("broken frame")
        return Detections.create(np.array([[0, 0, 1, 1]]), [marker / 255], [0])

    def detect_batch(self, images: Sequence[Image | Picture]) -> list[Detections]:
        return [self.detect(image) for image in images]


FAILING = 13


def _marked(value: int) -> npt.NDArray[np.uint8]:
    return np.full((4, 4, 3), value, dtype=np.uint8)


def test_workers_answer_each_caller_with_its_own_result() -> None:
    shared = SharedDetector(_FakeDetector(), workers=3)
    shared.start()
    answers: dict[int, list[int]] = {}

    def camera(marker: int) -> None:
        answers[marker] = [
            round(float(shared.detect(_marked(marker)).confidence[0]) * 255) for _ in range(20)
        ]

    cameras = [threading.Thread(target=camera, args=(marker,)) for marker in range(1, 9)]
    _run_then_close(shared, cameras)
    assert answers == {marker: [marker] * 20 for marker in range(1, 9)}
    assert shared.frames == 160


def test_a_failing_frame_fails_only_its_caller() -> None:
    shared = SharedDetector(_FakeDetector(), workers=2)
    shared.start()
    try:
        with pytest.raises(ValueError, match="broken frame"):
            shared.detect(_marked(FAILING))
        assert shared.detect(_marked(7)).confidence[0] == pytest.approx(7 / 255)
    finally:
        shared.close()


def test_close_fails_requests_still_queued() -> None:
    fake = _FakeDetector()
    fake.release.clear()  # the one worker blocks inside its first inference
    shared = SharedDetector(fake, workers=1)
    shared.start()
    errors: list[BaseException] = []
    results: list[Detections] = []

    def camera(marker: int) -> None:
        try:
            results.append(shared.detect(_marked(marker)))
        except RuntimeError as error:
            errors.append(error)

    first = threading.Thread(target=camera, args=(1,))
    first.start()
    assert fake.entered.acquire(timeout=30)  # the worker holds frame 1
    queued = threading.Thread(target=camera, args=(2,))
    queued.start()
    time.sleep(0.2)  # let frame 2 reach the queue (ordering only, no timing is asserted)
    closing = threading.Thread(target=shared.close, args=(30.0,))
    closing.start()
    time.sleep(0.2)
    fake.release.set()
    for thread in (closing, first, queued):
        thread.join(30)
    assert len(results) == 1  # frame 1 was already running: it completes
    assert [str(error) for error in errors] == ["the detector was closed"]


def test_default_runtime_uses_one_worker_per_usable_core() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0))


def test_an_unstarted_detector_answers_inline() -> None:
    shared = SharedDetector(_FakeDetector())
    answer: list[Detections] = []
    caller = threading.Thread(target=lambda: answer.append(shared.detect(_marked(9))))
    caller.start()
    caller.join(30)
    assert not caller.is_alive(), "detect() before start() never returned"
    assert answer[0].confidence[0] == pytest.approx(9 / 255)
    assert shared.frames == 1
