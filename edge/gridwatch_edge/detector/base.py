"""What the pipeline needs from a detector, whatever the model family behind it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections
from gridwatch_edge.picture import Image, Picture


class Detector(Protocol):
    @property
    def class_names(self) -> Sequence[str]: ...

    @property
    def model_info(self) -> ModelInfo: ...

    @property
    def accepts_batches(self) -> bool:
        """Whether ``detect_batch`` runs several images in one inference."""
        ...

    def detect(self, image: Image | Picture) -> Detections:
        """Objects in a BGR image or a ``Picture``, boxes in its own (full) pixel coordinates.

        Called from several threads at once (``SharedDetector`` runs a worker per core), so it
        must keep no per-call state: ``OnnxDetector`` qualifies, as ONNX Runtime's ``run`` is
        thread-safe and its pre- and post-processing are pure functions."""
        ...

    def detect_batch(self, images: Sequence[Image | Picture]) -> list[Detections]:
        """``detect`` for several images at once (one inference when the model allows)."""
        ...
