"""The motion gate: frames in which nothing moved are not sent to the detector.

Cheap frame differencing: each analysed frame is shrunk to ``width`` pixels wide in grey
and slightly blurred, then compared with the previous analysed frame. If too few pixels
changed, the previous detections still describe the scene and inference is skipped — except
that at least every ``max_skip_s`` a detection is forced, so stationary objects (a parked van,
a left bag) stay confirmed by the detector.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_edge.config import MotionConfig
from gridwatch_edge.picture import Picture
from gridwatch_edge.zones import Masks

# A 3x3 blur removes single-pixel H.264 speckle before differencing; larger kernels would
# also wash out a distant person, who is only a few pixels wide at 160 px.
BLUR_KERNEL = (3, 3)


class MotionGate:
    def __init__(self, config: MotionConfig, masks: Masks | None = None) -> None:
        self._config = config
        # Masked pixels (a swaying tree, the overlay's running clock) never count as motion.
        self._masks = masks
        self._frame_size: tuple[int, int] | None = None
        self._previous: npt.NDArray[np.uint8] | None = None
        self._last_detection_s: float | None = None
        self.frames_checked = 0
        self.frames_skipped = 0

    @property
    def skip_ratio(self) -> float:
        return self.frames_skipped / self.frames_checked if self.frames_checked else 0.0

    def should_detect(self, picture: Picture, media_time_s: float) -> bool:
        """Whether ``picture`` needs the detector; updates the reference frame."""
        small = self._shrink(picture)
        self._frame_size = (picture.width, picture.height)
        previous, self._previous = self._previous, small
        self.frames_checked += 1
        forced = (
            previous is None
            or previous.shape != small.shape
            or self._last_detection_s is None
            or media_time_s - self._last_detection_s >= self._config.max_skip_s
            or media_time_s < self._last_detection_s  # the clock restarted (reconnect)
        )
        if forced or self.changed_fraction(previous, small) >= self._config.min_changed_fraction:
            self._last_detection_s = media_time_s
            return True
        self.frames_skipped += 1
        return False

    def changed_fraction(
        self, before: npt.NDArray[np.uint8] | None, after: npt.NDArray[np.uint8]
    ) -> float:
        if before is None:
            return 1.0
        difference = cv2.absdiff(before, after)
        if self._masks and self._frame_size is not None:
            height, width = difference.shape
            difference[self._masks.covered(width, height, self._frame_size) > 0] = 0
        moved = np.count_nonzero(difference > self._config.pixel_threshold)
        return moved / difference.size

    def _shrink(self, picture: Picture) -> npt.NDArray[np.uint8]:
        width, height = picture.width, picture.height
        target_width = min(self._config.width, width)
        target_height = max(1, round(height * target_width / width))
        # Area averaging of the pixels dropped is a built-in denoise; a decoded picture gives
        # its luma plane directly, with no colour conversion (``Picture.grey``).
        grey = picture.grey(target_width, target_height)
        return np.asarray(cv2.GaussianBlur(grey, BLUR_KERNEL, 0), dtype=np.uint8)
