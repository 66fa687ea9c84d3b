"""One detector for the whole box: a single inference thread serving every camera.

Camera pipelines call ``detect()``, which queues the frame and waits for its result. The one
inference thread takes the queued frames in arrival order (fair across cameras, unlike a
lock) and, when the model's batch axis is free, runs up to ``max_batch`` of them in one
inference. YOLOX-Nano and the YOLOv8 export have the batch axis fixed at 1, so for them this
is one session, one thread, one frame at a time: no per-camera sessions competing for the two
cores, and a queue that holds at most one (the newest) frame per camera, because each camera
waits for its result before it takes its next frame.
"""

from __future__ import annotations

import logging
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections
from gridwatch_edge.detector.base import Detector

logger = logging.getLogger(__name__)

# Enough inferences for a stable median over a stats interval at 5 fps x a few cameras.
TIMING_WINDOW = 256
# How often the idle inference thread checks for shutdown.
IDLE_POLL_S = 0.5

_Request = tuple[npt.NDArray[np.uint8], "Future[Detections]"]


class SharedDetector:
    """A thread-safe ``Detector`` front that remembers recent inference durations."""

    def __init__(self, detector: Detector, *, max_batch: int = 1) -> None:
        self._detector = detector
        self._max_batch = max_batch if detector.accepts_batches else 1
        self._requests: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the timings, and inline runs before start()
        self._durations_ms: deque[float] = deque(maxlen=TIMING_WINDOW)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.inferences = 0
        self.frames = 0

    @property
    def class_names(self) -> Sequence[str]:
        return self._detector.class_names

    @property
    def model_info(self) -> ModelInfo:
        return self._detector.model_info

    @property
    def max_batch(self) -> int:
        return self._max_batch

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="inference", daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self._fail_pending()

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        """Detections for one BGR image; blocks until the inference thread ran it."""
        if self._thread is None:  # not started (a unit test, a one-off call): run inline
            with self._lock:
                return self._run([image])[0]
        future: Future[Detections] = Future()
        self._requests.put((image, future))
        return future.result()

    def inference_ms_p50(self) -> float | None:
        with self._lock:
            durations = list(self._durations_ms)
        return statistics.median(durations) if durations else None

    def inference_ms_recent(self) -> list[float]:
        with self._lock:
            return list(self._durations_ms)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                batch = [self._requests.get(timeout=IDLE_POLL_S)]
            except queue.Empty:
                continue
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._requests.get_nowait())
                except queue.Empty:
                    break
            try:
                results = self._run([image for image, _ in batch])
            except Exception as error:  # a broken frame must fail its caller, not the thread
                logger.exception("inference failed")
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), detections in zip(batch, results, strict=True):
                future.set_result(detections)

    def _run(self, images: list[npt.NDArray[np.uint8]]) -> list[Detections]:
        started = time.perf_counter()
        results = (
            self._detector.detect_batch(images)
            if len(images) > 1
            else [self._detector.detect(images[0])]
        )
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        with self._lock:
            self._durations_ms.append(elapsed_ms / len(images))
            self.inferences += 1
            self.frames += len(images)
        return results

    def _fail_pending(self) -> None:
        while True:
            try:
                _, future = self._requests.get_nowait()
            except queue.Empty:
                return
            future.set_exception(RuntimeError("the detector was closed"))
