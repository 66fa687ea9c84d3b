"""The JPEGs attached to an alert: the frame annotated (zone, boxes) and the clean frame.

Sizing happens at the edge, by a ladder of steps from the best picture to the smallest useful
one: every JPEG quality at full resolution, then every quality at 75 % of the width, and so on.
The caller decides what "fits" (the alert module checks the whole encoded message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
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

Image = npt.NDArray[np.uint8]


class SnapshotTooLargeError(ValueError):
    """No quality and size step fitted the byte budget."""


@dataclass(frozen=True, slots=True)
class EncodedSnapshot:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class SnapshotStep:
    """One rung of the ladder: output width in pixels and JPEG quality."""

    width: int
    quality: int


def annotate(
    image: Image,
    detections: Detections,
    class_names: Sequence[str],
    zone_polygons: Sequence[npt.NDArray[np.int32]] = (),
) -> Image:
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


def snapshot_steps(width: int) -> Iterator[SnapshotStep]:
    """Best first: every quality at the full width, then at each smaller width down to 160 px."""
    current = width
    while current >= MIN_WIDTH_PX or current == width:
        for quality in JPEG_QUALITIES:
            yield SnapshotStep(current, quality)
        current = round(current * SHRINK_FACTOR)


def encode_step(image: Image, step: SnapshotStep) -> EncodedSnapshot:
    """``image`` scaled to ``step.width`` (aspect kept) and JPEG-encoded at ``step.quality``."""
    return _encode(_scaled(image, step.width), step.quality)


def _scaled(image: Image, width: int) -> Image:
    height, current = image.shape[:2]
    if width == current:
        return image
    new_height = max(1, round(height * width / current))
    resized = cv2.resize(image, (width, new_height), interpolation=cv2.INTER_AREA)
    return np.asarray(resized, dtype=np.uint8)


def _encode(image: Image, quality: int) -> EncodedSnapshot:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    height, width = image.shape[:2]
    if not ok:  # only for images OpenCV cannot encode at all (empty, wrong dtype)
        raise SnapshotTooLargeError(f"OpenCV could not encode a {width}x{height} image")
    return EncodedSnapshot(buffer.tobytes(), int(width), int(height))


def encode_jpeg(image: Image, *, max_bytes: int, max_width: int | None = None) -> EncodedSnapshot:
    """Highest quality, then largest width up to ``max_width``, whose JPEG fits ``max_bytes``."""
    width = image.shape[1] if max_width is None else min(image.shape[1], max_width)
    for step in snapshot_steps(width):
        snapshot = encode_step(image, step)
        if len(snapshot.data) <= max_bytes:
            return snapshot
    raise SnapshotTooLargeError(f"no JPEG of the frame fits in {max_bytes} bytes")


SnapshotPair = tuple[EncodedSnapshot, EncodedSnapshot]


def encode_pair(
    annotated: Image, clean: Image, fits: Callable[[SnapshotPair], bool]
) -> SnapshotPair | None:
    """The best step at which both JPEGs together satisfy ``fits``; None if even the last fails.

    Both images go through the same step so that the clean evidence and the annotated view show
    the scene at the same resolution.
    """
    scaled: dict[int, tuple[Image, Image]] = {}
    for step in snapshot_steps(annotated.shape[1]):
        if step.width not in scaled:  # resize once per width, not once per quality
            scaled = {step.width: (_scaled(annotated, step.width), _scaled(clean, step.width))}
        small_annotated, small_clean = scaled[step.width]
        pair = (_encode(small_annotated, step.quality), _encode(small_clean, step.quality))
        if fits(pair):
            return pair
    return None
