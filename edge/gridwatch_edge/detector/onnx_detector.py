"""A ``Detector`` running any supported ONNX model family through one code path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import ModelInfo
from gridwatch_edge.detections import Detections, FloatArray
from gridwatch_edge.detector.candidates import Candidates, Postprocess, to_detections
from gridwatch_edge.detector.letterbox import letterbox
from gridwatch_edge.detector.manifest import ModelManifest

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

    @property
    def class_names(self) -> Sequence[str]:
        return self._manifest.class_names

    @property
    def model_info(self) -> ModelInfo:
        return self._model_info

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        boxed = letterbox(image, self._manifest.input)
        (output,) = self._session.run(None, {self._manifest.input.name: boxed.tensor})
        candidates = self._decoder(np.asarray(output, dtype=np.float32))
        height, width = image.shape[:2]
        return to_detections(
            candidates, self._postprocess, scale=boxed.scale, image_size=(width, height)
        )
