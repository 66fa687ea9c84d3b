"""A second, denser look at a crowd zone: the zone cut into tiles at the network's input size.

The frame-wide pass shrinks a 1280x720 picture to 416 px wide: a person 60 px tall far up the
street becomes 20 px, below what YOLOX-Nano finds reliably, and a dense crowd at a distance is
undercounted by about half. Here the zone's bounding box is cropped into at most ``max_tiles``
overlapping tiles of about ``tile_px`` frame pixels each, which the detector runs at (or
above) their own resolution; a zone smaller than one tile is one crop, enlarged by the
detector to its input size. Persons found twice where tiles overlap, or cut in two by a tile
edge, are merged. The cost is bounded: this runs only when the frame-wide count is near the
threshold, at most once per ``interval_s``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gridwatch_contract.camera.rules import DenseCountConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.picture import Image, Picture
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.tracking.geometry import intersection_over_smaller
from gridwatch_edge.zones import Zone

DetectFn = Callable[[Image | Picture], Detections]
# Tiles overlap by this fraction of their size so that a person on a tile edge is whole in one.
OVERLAP = 0.15
# Two person boxes this much inside each other (measured on the smaller) are one person:
# seen twice in the overlap of two tiles, or cut by a tile edge into a smaller box.
SAME_PERSON = 0.6

Box = tuple[int, int, int, int]


def tile_boxes(area: Box, tile_px: int, max_tiles: int) -> list[Box]:
    """Overlapping tiles covering ``area`` (x1, y1, x2, y2), at most ``max_tiles`` of them;
    tiles grow beyond ``tile_px`` when the area needs more than that many."""
    x1, y1, x2, y2 = area
    width, height = x2 - x1, y2 - y1
    size = float(tile_px)
    while True:
        columns = max(1, math.ceil((width - size * OVERLAP) / (size * (1 - OVERLAP))))
        rows = max(1, math.ceil((height - size * OVERLAP) / (size * (1 - OVERLAP))))
        if columns * rows <= max_tiles:
            break
        size *= 1.25
    tile_w, tile_h = min(width, math.ceil(size)), min(height, math.ceil(size))
    lefts = np.linspace(x1, x2 - tile_w, columns).round().astype(int).tolist()
    tops = np.linspace(y1, y2 - tile_h, rows).round().astype(int).tolist()
    return [(left, top, left + tile_w, top + tile_h) for top in tops for left in lefts]


def merge_persons(found: list[Detections]) -> Detections:
    """One box per person: the highest-scoring of boxes that lie inside each other."""
    if not found:
        return Detections.empty()
    boxes = np.concatenate([d.xyxy for d in found])
    scores = np.concatenate([d.confidence for d in found])
    classes = np.concatenate([d.class_id for d in found])
    kept: list[int] = []
    for index in np.argsort(-scores).tolist():
        if all(intersection_over_smaller(boxes[index], boxes[k]) < SAME_PERSON for k in kept):
            kept.append(index)
    return Detections.create(boxes[kept], scores[kept], classes[kept])


class DenseCounter:
    def __init__(
        self, config: DenseCountConfig, zone: Zone, person_class: int, detect: DetectFn
    ) -> None:
        self._config = config
        self._zone = zone
        self._person = person_class
        self._detect = detect
        self._last: tuple[float, Detections] | None = None
        self.passes = 0
        self.tiles_run = 0

    def persons(self, frame: Frame) -> Detections:
        """Persons in the zone by the dense pass: fresh, or the last one within interval_s."""
        if self._last is not None:
            age_s = frame.media_time_s - self._last[0]
            if 0 <= age_s < self._config.interval_s:  # < 0: the clock restarted (reconnect)
                return self._last[1]
        persons = self._run(frame)
        self._last = (frame.media_time_s, persons)
        return persons

    def _run(self, frame: Frame) -> Detections:
        polygon = self._zone.pixel_polygon(frame.width, frame.height)
        x1, y1 = np.clip(polygon.min(axis=0), 0, None).tolist()
        x2 = min(int(polygon[:, 0].max()) + 1, frame.width)
        y2 = min(int(polygon[:, 1].max()) + 1, frame.height)
        image = frame.picture.bgr()
        found = []
        for left, top, right, bottom in tile_boxes(
            (x1, y1, x2, y2), self._config.tile_px, self._config.max_tiles
        ):
            crop = np.ascontiguousarray(image[top:bottom, left:right])
            persons = self._detect(crop).of_classes([self._person])
            offset = np.array([left, top, left, top], dtype=np.float32)
            found.append(
                Detections.create(persons.xyxy + offset, persons.confidence, persons.class_id)
            )
            self.tiles_run += 1
        self.passes += 1
        merged = merge_persons(found)
        return merged.filter(self._zone.contains(merged, frame.width, frame.height))
