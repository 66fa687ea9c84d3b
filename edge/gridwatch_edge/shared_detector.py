"""One detector shared by every camera thread: serialised by a lock, timed for statistics.

ONNX Runtime sessions are thread-safe, but two concurrent runs would each want both cores;
taking turns keeps latency predictable. Batching across cameras comes later.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections
from gridwatch_edge.detector.base import Detector

# Enough inferences for a stable median over a stats interval at 5 fps x a few cameras.
TIMING_WINDOW = 256


class SharedDetector:
    """A thread-safe ``Detector`` wrapper that remembers recent inference durations."""

    def __init__(self, detector: Detector) -> None:
        self._detector = detector
        self._lock = threading.Lock()
        self._durations_ms: deque[float] = deque(maxlen=TIMING_WINDOW)

    @property
    def class_names(self) -> Sequence[str]:
        return self._detector.class_names

    @property
    def model_info(self) -> ModelInfo:
        return self._detector.model_info

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        with self._lock:
            started = time.perf_counter()
            detections = self._detector.detect(image)
            self._durations_ms.append((time.perf_counter() - started) * 1000.0)
        return detections

    def inference_ms_p50(self) -> float | None:
        with self._lock:
            durations = list(self._durations_ms)
        return statistics.median(durations) if durations else None
