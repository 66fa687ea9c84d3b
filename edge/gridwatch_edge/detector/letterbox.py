"""Resize keeping the aspect ratio and pad to the network input, anchored top-left.

Top-left anchoring means un-letterboxing is a single division by the scale, with no offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_edge.detector.input_size import InputSize
from gridwatch_edge.detector.manifest import InputSpec
from gridwatch_edge.picture import Picture


@dataclass(frozen=True, slots=True)
class Letterboxed:
    tensor: npt.NDArray[np.float32]  # (1, 3, H, W) ready for the network
    scale: float  # network pixels per image pixel
    size: InputSize  # the network input the tensor has


def letterbox(picture: Picture, spec: InputSpec, size: InputSize) -> Letterboxed:
    width, height = picture.width, picture.height
    scale = min(size.width / width, size.height / height)
    new_width, new_height = round(width * scale), round(height * scale)
    canvas = np.full((size.height, size.width, 3), spec.pad_value, dtype=np.uint8)
    canvas[:new_height, :new_width] = picture.resized(new_width, new_height, "linear")
    if spec.channel_order == "rgb":
        cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB, dst=canvas)
    chw = canvas.transpose(2, 0, 1)[np.newaxis].astype(np.float32)
    if spec.scale != 1.0:
        chw *= np.float32(spec.scale)
    return Letterboxed(tensor=np.ascontiguousarray(chw), scale=scale, size=size)
