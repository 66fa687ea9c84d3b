"""Zones of interest: relative polygons from the config, judged in pixels of each frame."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_edge.config import ZoneConfig
from gridwatch_edge.detections import BoolArray, Detections


class Zone:
    """A polygon in relative coordinates; masks are rasterised once per frame size."""

    def __init__(self, config: ZoneConfig) -> None:
        self.id = config.id
        self._relative = np.asarray(config.polygon, dtype=np.float32)
        self._masks: dict[tuple[int, int], npt.NDArray[np.uint8]] = {}

    @property
    def relative_area(self) -> float:
        """Fraction of the frame the zone covers (0..1]."""
        return float(cv2.contourArea(self._relative))

    def pixel_polygon(self, width: int, height: int) -> npt.NDArray[np.int32]:
        scaled = self._relative * np.array([width - 1, height - 1], dtype=np.float32)
        return np.round(scaled).astype(np.int32)

    def contains(self, detections: Detections, width: int, height: int) -> BoolArray:
        """Which detections stand in the zone, judged by the bottom centre of their box."""
        if len(detections) == 0:
            return np.zeros(0, dtype=np.bool_)
        mask = self._mask(width, height)
        points = np.round(detections.bottom_centers()).astype(np.int64)
        xs = np.clip(points[:, 0], 0, width - 1)
        ys = np.clip(points[:, 1], 0, height - 1)
        return mask[ys, xs] > 0

    def _mask(self, width: int, height: int) -> npt.NDArray[np.uint8]:
        mask = self._masks.get((width, height))
        if mask is None:
            mask = np.zeros((height, width), dtype=np.uint8)
            cv2.fillPoly(mask, [self.pixel_polygon(width, height)], 255)
            self._masks[(width, height)] = mask
        return mask
