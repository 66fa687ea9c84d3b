"""One detector for the whole box: a few inference workers sharing one session.

Camera pipelines call ``detect()``, which queues the frame and waits for its result. Worker
threads take the queued frames in arrival order (fair across cameras, unlike a lock) and, when
the model's batch axis is free, run up to ``max_batch`` of them in one inference (the detector
splits a batch by input size: cameras of one resolution share it, others run apart). All workers
call the same ONNX Runtime session (``run`` is thread-safe and releases the GIL), so the model
is loaded once; with ``intra_op_threads=1`` each worker keeps one core busy on its own frame.
For a small model like YOLOX-Nano that parallelism across frames beats parallelism inside one
frame: per-operator thread hand-offs cost more than they give (measured in benchmarks/edge.py:
one worker with 2 intra-op threads 110 frames/s, two workers with 1 each 244 frames/s).

The queue holds at most one (the newest) frame per camera, because each camera waits for its
result before it takes its next frame.
"""

from __future__ import annotations

import logging
import os
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections
from gridwatch_edge.detector.base import Detector
from gridwatch_edge.picture import Image, Picture
from gridwatch_edge.scheduling import CpuScheduling, schedule_this_thread

logger = logging.getLogger(__name__)

# Enough inferences for a stable median over a stats interval at 5 fps x a few cameras.
TIMING_WINDOW = 256
# How often an idle worker checks for shutdown.
IDLE_POLL_S = 0.5

_Request = tuple[Image | Picture, "Future[Detections]"]


def usable_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's core count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


class SharedDetector:
    """A thread-safe ``Detector`` front that remembers recent inference durations."""

    def __init__(
        self,
        detector: Detector,
        *,
        max_batch: int = 1,
        workers: int = 1,
        scheduling: CpuScheduling = "normal",
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self._detector = detector
        self._max_batch = max_batch if detector.accepts_batches else 1
        self._workers = workers
        self._scheduling = scheduling
        self._requests: queue.SimpleQueue[_Request] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the timings
        # Serialises inline runs before start(); apart from _lock, which _run takes itself
        # (one lock for both deadlocked the first inline call).
        self._inline_lock = threading.Lock()
        self._durations_ms: deque[float] = deque(maxlen=TIMING_WINDOW)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
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

    @property
    def workers(self) -> int:
        return self._workers

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._serve, name=f"inference-{slot}", daemon=True)
            for slot in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()

    def close(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        self._threads = []
        self._fail_pending()

    def detect(self, image: Image | Picture) -> Detections:
        """Detections for one BGR image or picture; blocks until a worker ran it (the worker
        also does the picture's conversion to network size, so it runs on the cores the
        inference workers are sized for)."""
        if not self._threads:  # not started (a unit test, a one-off call): run inline
            with self._inline_lock:
                return self._run([image])[0]
        future: Future[Detections] = Future()
        self._requests.put((image, future))
        if self._stop.is_set():  # close() may have drained the queue just before the put
            self._fail_pending()
        return future.result()

    def inference_ms_p50(self) -> float | None:
        with self._lock:
            durations = list(self._durations_ms)
        return statistics.median(durations) if durations else None

    def inference_ms_recent(self) -> list[float]:
        with self._lock:
            return list(self._durations_ms)

    def _serve(self) -> None:
        schedule_this_thread(self._scheduling)
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
            self._answer(batch)

    def _answer(self, batch: list[_Request]) -> None:
        try:
            results = self._run([image for image, _ in batch])
        except Exception as error:  # a broken frame must fail its callers, not the worker
            logger.exception("inference failed")
            for _, future in batch:
                future.set_exception(error)
            return
        for (_, future), detections in zip(batch, results, strict=True):
            future.set_result(detections)

    def _run(self, images: list[Image | Picture]) -> list[Detections]:
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
            if not future.done():
                future.set_exception(RuntimeError("the detector was closed"))
