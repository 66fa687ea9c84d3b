"""A picture for setting a camera up: one of its frames with zones, lines and masks drawn on.

``gridwatch edge draw`` writes it as a PNG: zones in green with their ids, counting lines in
yellow with an arrow towards the side that counts as ``in``, object masks in red and motion
masks in blue (both shaded), and a pixel ruler along the top and left edges for ``units: px``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.rules import LineCrossingRuleConfig
from gridwatch_edge.config import CameraConfig
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.picture import Image
from gridwatch_edge.zones import Masks, Region, to_pixels

ZONE_COLOUR = (80, 220, 80)
LINE_COLOUR = (0, 220, 255)
OBJECT_MASK_COLOUR = (60, 60, 230)
MOTION_MASK_COLOUR = (230, 120, 40)
# Masks are shaded at this opacity so the picture under them stays readable.
SHADE = 0.35
RULER_STEP_PX = 50  # a tick every 50 px, a number every 100 px
FONT = cv2.FONT_HERSHEY_SIMPLEX


class DrawError(EdgeError):
    """No frame could be read from the camera at that time."""


def read_frame(url: str, at_s: float) -> Image:
    """The frame at ``at_s`` seconds of a file (the first one a live camera sends)."""
    capture = cv2.VideoCapture(url)
    try:
        if not capture.isOpened():
            raise DrawError(f"cannot open {url!r}")
        if at_s > 0:
            capture.set(cv2.CAP_PROP_POS_MSEC, at_s * 1000.0)
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok or image is None:
        raise DrawError(f"no frame at {at_s} s in {url!r}")
    return np.asarray(image, dtype=np.uint8)


def draw_setup(image: Image, camera: CameraConfig) -> Image:
    """A copy of ``image`` with the camera's zones, lines and masks drawn on it."""
    height, width = image.shape[:2]
    canvas = image.copy()
    _shade(canvas, Masks(camera.masks.objects), OBJECT_MASK_COLOUR)
    _shade(canvas, Masks(camera.masks.motion), MOTION_MASK_COLOUR)
    for zone in camera.zones:
        polygon = Region(zone.polygon, zone.units).pixel_polygon(width, height)
        cv2.polylines(canvas, [polygon], True, ZONE_COLOUR, 2, cv2.LINE_AA)
        _label(canvas, zone.id, polygon.min(axis=0) + np.array([4, 16]), ZONE_COLOUR)
    for rule in camera.rules:
        if isinstance(rule, LineCrossingRuleConfig):
            _line(canvas, rule, to_pixels(rule.line, rule.units, width, height))
    _ruler(canvas)
    return canvas


def write_setup_png(camera: CameraConfig, at_s: float, path: Path) -> Path:
    image = draw_setup(read_frame(camera.url, at_s), camera)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise DrawError(f"cannot write {path}")
    return path


def _shade(canvas: Image, masks: Masks, colour: tuple[int, int, int]) -> None:
    if not masks:
        return
    height, width = canvas.shape[:2]
    covered = masks.covered(width, height) > 0
    tint = np.array(colour, dtype=np.float32)
    canvas[covered] = (canvas[covered] * (1 - SHADE) + tint * SHADE).astype(np.uint8)
    for polygon in masks.pixel_polygons(width, height):
        cv2.polylines(canvas, [polygon], True, colour, 1, cv2.LINE_AA)


def _line(canvas: Image, rule: LineCrossingRuleConfig, ends: npt.NDArray[np.float64]) -> None:
    start, end = ends[0], ends[1]
    cv2.line(canvas, _point(start), _point(end), LINE_COLOUR, 2, cv2.LINE_AA)
    direction = end - start
    # The "in" side is on the right of start→end as seen on screen (y grows downwards).
    normal = np.array([-direction[1], direction[0]]) / max(float(np.hypot(*direction)), 1e-9)
    middle = (start + end) / 2.0
    length = max(24.0, 0.12 * float(np.hypot(*direction)))
    tip = middle + normal * length
    # From the line towards the side that counts as "in".
    cv2.arrowedLine(canvas, _point(middle), _point(tip), LINE_COLOUR, 2, cv2.LINE_AA, tipLength=0.3)
    _label(canvas, "in", tip + normal * 6 + np.array([-8.0, 5.0]), LINE_COLOUR)
    _label(canvas, rule.id, start + np.array([6.0, -6.0]), LINE_COLOUR)


def _ruler(canvas: Image) -> None:
    height, width = canvas.shape[:2]
    for x in range(0, width, RULER_STEP_PX):
        size = 10 if x % (2 * RULER_STEP_PX) == 0 else 5
        cv2.line(canvas, (x, 0), (x, size), (255, 255, 255), 1)
        if x and x % (2 * RULER_STEP_PX) == 0:
            _label(canvas, str(x), np.array([x - 10.0, 22.0]), (255, 255, 255), 0.4)
    for y in range(0, height, RULER_STEP_PX):
        size = 10 if y % (2 * RULER_STEP_PX) == 0 else 5
        cv2.line(canvas, (0, y), (size, y), (255, 255, 255), 1)
        if y and y % (2 * RULER_STEP_PX) == 0:
            _label(canvas, str(y), np.array([13.0, y + 4.0]), (255, 255, 255), 0.4)


def _label(
    canvas: Image,
    text: str,
    at: npt.NDArray[np.float64] | npt.NDArray[np.int32],
    colour: tuple[int, int, int],
    scale: float = 0.5,
) -> None:
    origin = _point(np.asarray(at, dtype=np.float64))
    cv2.putText(canvas, text, origin, FONT, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(canvas, text, origin, FONT, scale, colour, 1, cv2.LINE_AA)


def _point(point: npt.NDArray[np.float64]) -> tuple[int, int]:
    return round(float(point[0])), round(float(point[1]))
