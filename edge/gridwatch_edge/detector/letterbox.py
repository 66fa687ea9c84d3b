"""Resize keeping the aspect ratio and pad to the network input, anchored top-left.

Top-left anchoring means un-letterboxing is a single division by the scale, with no offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_edge.detector.manifest import InputSpec


@dataclass(frozen=True, slots=True)
class Letterboxed:
    tensor: npt.NDArray[np.float32]  # (1, 3, H, W) ready for the network
    scale: float  # network pixels per image pixel


def letterbox(image: npt.NDArray[np.uint8], spec: InputSpec) -> Letterboxed:
    height, width = image.shape[:2]
    scale = min(spec.width / width, spec.height / height)
    new_width, new_height = round(width * scale), round(height * scale)
    canvas = np.full((spec.height, spec.width, 3), spec.pad_value, dtype=np.uint8)
    canvas[:new_height, :new_width] = cv2.resize(
        image, (new_width, new_height), interpolation=cv2.INTER_LINEAR
    )
    if spec.channel_order == "rgb":
        cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB, dst=canvas)
    chw = canvas.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
    if spec.scale != 1.0:
        chw *= np.float32(spec.scale)
    return Letterboxed(tensor=np.ascontiguousarray(chw), scale=scale)
