"""YOLOX output decoding: [1, anchors, 5 + C] of raw grid offsets, sigmoid scores."""

from __future__ import annotations

import numpy as np

from gridwatch_edge.detections import FloatArray
from gridwatch_edge.detector.candidates import Candidates

# The three detection heads of every YOLOX size (P3, P4, P5).
YOLOX_STRIDES = (8, 16, 32)


class YoloxDecoder:
    """Turns YOLOX raw output into candidates; the grid is built once per input size."""

    def __init__(self, input_width: int, input_height: int) -> None:
        grids, strides = [], []
        for stride in YOLOX_STRIDES:
            rows, cols = input_height // stride, input_width // stride
            xs, ys = np.meshgrid(np.arange(cols), np.arange(rows))
            grids.append(np.stack([xs, ys], axis=-1).reshape(-1, 2))
            strides.append(np.full((rows * cols, 1), stride))
        self._grid: FloatArray = np.concatenate(grids).astype(np.float32)
        self._stride: FloatArray = np.concatenate(strides).astype(np.float32)

    @property
    def anchor_count(self) -> int:
        return len(self._grid)

    def __call__(self, output: FloatArray) -> Candidates:
        rows = output.reshape(-1, output.shape[-1])
        centres = (rows[:, :2] + self._grid) * self._stride
        sizes = np.exp(rows[:, 2:4]) * self._stride
        scores = rows[:, 4:5] * rows[:, 5:]
        return Candidates(
            cxcywh=np.concatenate([centres, sizes], axis=1).astype(np.float32),
            class_scores=scores.astype(np.float32),
        )
