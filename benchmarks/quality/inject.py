"""A detector that adds made-up boxes to the real detector's output: hallucinations on demand.

A motorway camera's YOLOX-Nano reported a "train" covering 90-99 % of the picture in almost
half its frames. No sample footage provokes that, so the evaluation injects it: the real
detections of every frame plus, with the configured probability per call, the configured box
(its edges jittered by up to 1 % of the frame, as a real detector's are). Seeded: the same
calls get the same boxes in every run.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections
from gridwatch_edge.detector import Detector
from gridwatch_edge.picture import Image, Picture, as_picture


@dataclass(frozen=True)
class Injection:
    class_name: str
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 relative to the frame
    score: float
    probability: float  # of appearing on a detector call (0.5 = half the frames)


# Box edges move by up to this fraction of the frame from call to call.
JITTER = 0.01


class InjectingDetector:
    def __init__(self, detector: Detector, injections: Sequence[Injection], seed: int = 0) -> None:
        self._detector = detector
        self._injections = list(injections)
        self._random = np.random.default_rng(seed)
        self._lock = threading.Lock()

    @property
    def class_names(self) -> Sequence[str]:
        return self._detector.class_names

    @property
    def model_info(self) -> ModelInfo:
        return self._detector.model_info

    @property
    def accepts_batches(self) -> bool:
        return False

    def detect(self, image: Image | Picture) -> Detections:
        picture = as_picture(image)
        real = self._detector.detect(picture)
        with self._lock:
            draws = self._random.random(len(self._injections))
            jitter = self._random.uniform(-JITTER, JITTER, (len(self._injections), 4))
        chosen = [i for i, item in enumerate(self._injections) if draws[i] < item.probability]
        if not chosen:
            return real
        extra = [self._injections[i] for i in chosen]
        scale = np.array([picture.width, picture.height] * 2, dtype=np.float64)
        names = list(self.class_names)
        added = Detections.create(
            [
                np.clip(np.asarray(self._injections[i].box) + jitter[i], 0, 1) * scale
                for i in chosen
            ],
            [item.score for item in extra],
            [names.index(item.class_name) for item in extra],
        )
        return Detections.create(
            np.concatenate([real.xyxy, added.xyxy]),
            np.concatenate([real.confidence, added.confidence]),
            np.concatenate([real.class_id, added.class_id]),
        )

    def detect_batch(self, images: Sequence[Image | Picture]) -> list[Detections]:
        return [self.detect(image) for image in images]
