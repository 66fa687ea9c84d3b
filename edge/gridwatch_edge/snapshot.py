"""The JPEG attached to an alert: the frame with the zone and the involved objects drawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_edge.detections import Detections

# Quality steps tried before shrinking: 85 is visually lossless for CCTV, 40 still readable.
JPEG_QUALITIES = (85, 70, 55, 40)
# Each shrink keeps 75 % of the width; below 160 px a snapshot no longer shows anything useful.
SHRINK_FACTOR = 0.75
MIN_WIDTH_PX = 160
ZONE_COLOUR = (0, 215, 255)  # amber, BGR
BOX_COLOUR = (0, 0, 255)  # red, BGR


class SnapshotTooLargeError(ValueError):
    """No quality and size step fitted the byte budget."""


@dataclass(frozen=True, slots=True)
class EncodedSnapshot:
    data: bytes
    width: int
    height: int


def annotate(
    image: npt.NDArray[np.uint8],
    detections: Detections,
    class_names: Sequence[str],
    zone_polygons: Sequence[npt.NDArray[np.int32]] = (),
) -> npt.NDArray[np.uint8]:
    """A copy of ``image`` with zones outlined and boxes labelled "class score"."""
    canvas = image.copy()
    thickness = max(1, round(canvas.shape[1] / 400))
    for polygon in zone_polygons:
        cv2.polylines(canvas, [polygon], isClosed=True, color=ZONE_COLOUR, thickness=thickness)
    for box, score, class_id in zip(
        detections.xyxy.astype(int), detections.confidence, detections.class_id, strict=True
    ):
        x1, y1, x2, y2 = (int(v) for v in box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), BOX_COLOUR, thickness)
        label = f"{class_names[int(class_id)]} {float(score):.2f}"
        cv2.putText(
            canvas,
            label,
            (x1, max(y1 - 4, 12)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thickness,
            BOX_COLOUR,
            thickness,
            cv2.LINE_AA,
        )
    return canvas


def encode_jpeg(image: npt.NDArray[np.uint8], *, max_bytes: int) -> EncodedSnapshot:
    """Highest quality, then largest size, whose JPEG fits in ``max_bytes``."""
    current = image
    while True:
        for quality in JPEG_QUALITIES:
            ok, buffer = cv2.imencode(".jpg", current, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and buffer.size <= max_bytes:
                height, width = current.shape[:2]
                return EncodedSnapshot(buffer.tobytes(), int(width), int(height))
        width = round(current.shape[1] * SHRINK_FACTOR)
        if width < MIN_WIDTH_PX:
            raise SnapshotTooLargeError(f"no JPEG of the frame fits in {max_bytes} bytes")
        height = round(current.shape[0] * SHRINK_FACTOR)
        current = np.asarray(
            cv2.resize(current, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
