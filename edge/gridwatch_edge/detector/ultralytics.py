"""Ultralytics (YOLOv8/v11) output decoding: [1, 4 + C, anchors], boxes in input pixels."""

from __future__ import annotations

import numpy as np

from gridwatch_edge.detections import FloatArray
from gridwatch_edge.detector.candidates import Candidates
from gridwatch_edge.detector.input_size import InputSize


def decode_ultralytics(output: FloatArray, size: InputSize) -> Candidates:
    """Boxes come out in input pixels whatever the input ``size``: nothing to rescale."""
    del size
    rows = output.reshape(output.shape[-2], output.shape[-1]).T  # (anchors, 4 + C)
    return Candidates(
        cxcywh=np.ascontiguousarray(rows[:, :4], dtype=np.float32),
        class_scores=np.ascontiguousarray(rows[:, 4:], dtype=np.float32),
    )
