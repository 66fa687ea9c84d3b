"""A ``Detector`` running any supported ONNX model family through one code path."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections, FloatArray
from gridwatch_edge.detector.candidates import Candidates, Postprocess, to_detections
from gridwatch_edge.detector.letterbox import Letterboxed, letterbox
from gridwatch_edge.detector.manifest import ModelManifest
from gridwatch_edge.detector.session import accepts_batches

Decoder = Callable[[FloatArray], Candidates]


class OnnxDetector:
    def __init__(
        self,
        session: Any,
        manifest: ModelManifest,
        decoder: Decoder,
        postprocess: Postprocess,
    ) -> None:
        self._session = session
        self._manifest = manifest
        self._decoder = decoder
        self._postprocess = postprocess
        self._model_info = ModelInfo(name=manifest.name, version=manifest.version)
        self._batches = accepts_batches(session)
        self.warm_up_ms: float | None = None

    @property
    def class_names(self) -> Sequence[str]:
        return self._manifest.class_names

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info

    @property
    def accepts_batches(self) -> bool:
        """Whether ``detect_batch`` runs several images in one inference."""
        return self._batches

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        return self.detect_batch([image])[0]

    def detect_batch(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[Detections]:
        """Detections per image: one inference for all when the model's batch axis is free,
        one per image when it is fixed at 1 (YOLOX-Nano and YOLOv8 exports)."""
        boxed = [letterbox(image, self._manifest.input) for image in images]
        if self._batches and len(boxed) > 1:
            outputs = list(self._infer(np.concatenate([b.tensor for b in boxed])))
        else:
            outputs = [self._infer(b.tensor)[0] for b in boxed]
        return [
            self._decode(output, b, image)
            for output, b, image in zip(outputs, boxed, images, strict=True)
        ]

    def warm_up(self) -> float:
        """One inference on a blank frame, so that the first camera frame is not the one that
        pays for memory allocation and kernel selection; returns its duration in ms."""
        spec = self._manifest.input
        blank = np.full((spec.height, spec.width, 3), spec.pad_value, dtype=np.uint8)
        started = time.perf_counter()
        self.detect(blank)
        self.warm_up_ms = (time.perf_counter() - started) * 1000.0
        return self.warm_up_ms

    def _infer(self, tensor: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        (output,) = self._session.run(None, {self._manifest.input.name: tensor})
        return np.asarray(output, dtype=np.float32)

    def _decode(
        self, output: FloatArray, boxed: Letterboxed, image: npt.NDArray[np.uint8]
    ) -> Detections:
        candidates = self._decoder(output[np.newaxis])
        height, width = image.shape[:2]
        return to_detections(
            candidates, self._postprocess, scale=boxed.scale, image_size=(width, height)
        )
