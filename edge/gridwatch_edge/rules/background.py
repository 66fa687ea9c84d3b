"""Persistent background change in a zone: what appeared and then stayed.

Two MOG2 background models watch the zone at a reduced resolution: a short-term one that
absorbs anything still for ``short_term_s`` and a long-term one that takes ``long_term_s``.
A pixel that is foreground for the long-term model but background for the short-term one has
changed and then stopped changing: a static new object (Porikli et al., "Robust abandoned
object detection using dual foregrounds", 2008). Walkers are foreground in both models, the
original scene is background in both. People and vehicles the detector sees are masked out,
so someone standing still is not reported as an object. Known limit: an object that was there
from the start and is taken away leaves a "ghost" of the same kind until ``long_term_s``.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.rules import BackgroundChangeConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Masks, Zone

# MOG2 treats a new colour as background once the old mode's weight falls below its
# background ratio (0.9 by default): (1 - alpha)^n < 0.9. The learning rate is derived from
# the frame interval so that this happens after the configured number of seconds.
BACKGROUND_RATIO = 0.9
# Squared Mahalanobis distance for "same colour": MOG2's default, robust to sensor noise.
VARIANCE_THRESHOLD = 16.0
# Masked-out detections are grown by this fraction of their size: feet, shadows and loose
# clothing stick out of detector boxes.
EXCLUSION_MARGIN = 0.15
# A 3x3 opening removes single noisy pixels at the reduced resolution; a 5x5 closing joins
# the pieces of one object that its own texture splits.
OPEN_KERNEL = np.ones((3, 3), np.uint8)
CLOSE_KERNEL = np.ones((5, 5), np.uint8)


class BackgroundChange:
    def __init__(
        self, config: BackgroundChangeConfig, zone: Zone, motion_masks: Masks | None = None
    ) -> None:
        self._config = config
        self._zone = zone
        self._motion_masks = motion_masks
        self._short = cv2.createBackgroundSubtractorMOG2(
            varThreshold=VARIANCE_THRESHOLD, detectShadows=False
        )
        self._long = cv2.createBackgroundSubtractorMOG2(
            varThreshold=VARIANCE_THRESHOLD, detectShadows=False
        )
        self._previous_s: float | None = None
        self._started_s: float | None = None
        self._mask: npt.NDArray[np.uint8] | None = None

    @property
    def absorb_s(self) -> float:
        """How long an object has been still when its change first shows."""
        return self._config.short_term_s

    def update(self, frame: Frame, exclude: Detections) -> Detections:
        """The static changed regions of this frame as untracked boxes in frame pixels (no
        class: class id 0 and score 1 are placeholders)."""
        dt_s = 0.0 if self._previous_s is None else frame.media_time_s - self._previous_s
        self._previous_s = frame.media_time_s
        if self._started_s is None:
            self._started_s = frame.media_time_s
        warming_up = frame.media_time_s - self._started_s < self._config.warm_up_s
        long_term_s = self._config.short_term_s if warming_up else self._config.long_term_s
        scale = min(1.0, self._config.analysis_width / frame.width)
        # The sizes cv2.resize(fx=scale, fy=scale) would choose.
        width, height = round(frame.width * scale), round(frame.height * scale)
        small = frame.picture.resized(width, height, "area")
        long_fg = self._long.apply(small, learningRate=self._rate(dt_s, long_term_s))
        short_fg = self._short.apply(
            small, learningRate=self._rate(dt_s, self._config.short_term_s)
        )
        static = cv2.bitwise_and(long_fg, cv2.bitwise_not(short_fg))
        static = cv2.bitwise_and(static, self._zone_mask(width, height, frame))
        for box in exclude.xyxy * scale:
            x1, y1, x2, y2 = _grown(box)
            static[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = 0
        static = cv2.morphologyEx(static, cv2.MORPH_OPEN, OPEN_KERNEL)
        static = cv2.morphologyEx(static, cv2.MORPH_CLOSE, CLOSE_KERNEL)
        boxes = self._blob_boxes(static.astype(np.uint8), frame) / scale
        return Detections.create(boxes, np.ones(len(boxes)), np.zeros(len(boxes)))

    @staticmethod
    def _rate(dt_s: float, absorb_after_s: float) -> float:
        if dt_s <= 0:
            return -1.0  # first frame: let MOG2 initialise its model from it
        return float(1.0 - BACKGROUND_RATIO ** (dt_s / absorb_after_s))

    def _zone_mask(self, width: int, height: int, frame: Frame) -> npt.NDArray[np.uint8]:
        """The zone less the camera's motion masks (a swaying tree is never an object)."""
        if self._mask is None or self._mask.shape != (height, width):
            size = (frame.width, frame.height)
            self._mask = self._zone.mask(width, height, size).copy()
            if self._motion_masks:
                self._mask[self._motion_masks.covered(width, height, size) > 0] = 0
        return self._mask

    def _blob_boxes(self, static: npt.NDArray[np.uint8], frame: Frame) -> npt.NDArray[np.float64]:
        count, _, stats, _ = cv2.connectedComponentsWithStats(static, connectivity=8)
        zone_fraction = self._zone.area_fraction(frame.width, frame.height)
        min_pixels = self._config.min_area * zone_fraction * static.size
        boxes = [
            (x, y, x + w, y + h)
            for x, y, w, h, area in stats[1:count].tolist()
            if area >= min_pixels
        ]
        return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def _grown(box: npt.NDArray[np.float32]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * EXCLUSION_MARGIN, (y2 - y1) * EXCLUSION_MARGIN
    return int(x1 - dx), int(y1 - dy), int(np.ceil(x2 + dx)), int(np.ceil(y2 + dy))
