"""A ``Detector`` running any supported ONNX model family through one code path."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections, FloatArray
from gridwatch_edge.detector.candidates import Candidates, Postprocess, to_detections
from gridwatch_edge.detector.input_size import InputSize, rectangular_size, square_size
from gridwatch_edge.detector.letterbox import Letterboxed, letterbox
from gridwatch_edge.detector.manifest import ModelManifest
from gridwatch_edge.detector.session import accepts_batches
from gridwatch_edge.picture import Image, Picture, as_picture


class Decoder(Protocol):
    def __call__(self, output: FloatArray, size: InputSize, /) -> Candidates: ...


class OnnxDetector:
    def __init__(
        self,
        session: Any,
        manifest: ModelManifest,
        decoder: Decoder,
        postprocess: Postprocess,
        *,
        rectangular: bool = False,
    ) -> None:
        self._session = session
        self._manifest = manifest
        self._decoder = decoder
        self._postprocess = postprocess
        self._rectangular = rectangular
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

    @property
    def rectangular(self) -> bool:
        """Whether frames keep their aspect ratio in the network input (``input_size``)."""
        return self._rectangular

    def input_size_for(self, width: int, height: int) -> InputSize:
        spec = self._manifest.input
        return rectangular_size(width, height, spec) if self._rectangular else square_size(spec)

    def detect(self, image: Image | Picture) -> Detections:
        return self.detect_batch([image])[0]

    def detect_batch(self, images: Sequence[Image | Picture]) -> list[Detections]:
        """Detections per image. Images of one input size run as one inference when the
        model's batch axis is free; a fixed batch axis (YOLOX-Nano and YOLOv8 exports) or
        different input sizes (cameras of other resolutions) mean one inference per image."""
        pictures = [as_picture(image) for image in images]
        boxed = [
            letterbox(p, self._manifest.input, self.input_size_for(p.width, p.height))
            for p in pictures
        ]
        outputs: dict[int, FloatArray] = {}
        for group in _same_size_groups(boxed):
            if self._batches and len(group) > 1:
                batch = self._infer(np.concatenate([boxed[i].tensor for i in group]))
                outputs.update(zip(group, batch, strict=True))
            else:
                outputs.update((i, self._infer(boxed[i].tensor)[0]) for i in group)
        return [
            self._decode(outputs[i], b, picture)
            for i, (b, picture) in enumerate(zip(boxed, pictures, strict=True))
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

    def run_blank(self, size: InputSize) -> Candidates:
        """Decoded output of a blank input of ``size``: proves the model runs at that size."""
        spec = self._manifest.input
        tensor = np.full((1, 3, size.height, size.width), spec.pad_value * spec.scale, np.float32)
        return self._decoder(self._infer(tensor)[0][np.newaxis], size)

    def _infer(self, tensor: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        (output,) = self._session.run(None, {self._manifest.input.name: tensor})
        return np.asarray(output, dtype=np.float32)

    def _decode(self, output: FloatArray, boxed: Letterboxed, picture: Picture) -> Detections:
        candidates = self._decoder(output[np.newaxis], boxed.size)
        return to_detections(
            candidates,
            self._postprocess,
            scale=boxed.scale,
            image_size=(picture.width, picture.height),
        )


def _same_size_groups(boxed: Sequence[Letterboxed]) -> list[list[int]]:
    """Indices of ``boxed`` grouped by input size, in first-seen order: tensors of different
    sizes cannot share a batch."""
    groups: dict[InputSize, list[int]] = {}
    for index, item in enumerate(boxed):
        groups.setdefault(item.size, []).append(index)
    return list(groups.values())
