"""A decoded picture that hands out images at the size each consumer asks for.

The detector wants the frame at network size, the motion gate a small grey image, snapshots the
full picture. Sources deliver a ``Picture`` and each consumer asks it for what it needs, so a
decoded picture is converted only as far as that takes (``sources.av_picture``: the motion
gate reads the luma plane, no colour conversion).
"""

from __future__ import annotations

from typing import Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
# linear: the detector's input, as the models were trained on (bilinear resize);
# area: averages the pixels it drops, for the small analysis images of rules.
Interpolation = Literal["linear", "area"]
OPENCV_INTERPOLATION = {"linear": cv2.INTER_LINEAR, "area": cv2.INTER_AREA}


class Picture(Protocol):
    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    def bgr(self) -> Image:
        """The full picture as BGR (height, width, 3); converted once, then kept."""
        ...

    def resized(self, width: int, height: int, interpolation: Interpolation) -> Image:
        """The picture as BGR (height, width, 3) at the given size."""
        ...

    def grey(self, width: int, height: int) -> Image:
        """Full-range luma (0..255), area-averaged to the given size."""
        ...


class ArrayPicture:
    """A ``Picture`` over a BGR array (OpenCV's capture, still images, tests)."""

    __slots__ = ("_image",)

    def __init__(self, image: Image) -> None:
        self._image = image

    @property
    def width(self) -> int:
        return int(self._image.shape[1])

    @property
    def height(self) -> int:
        return int(self._image.shape[0])

    def bgr(self) -> Image:
        return self._image

    def resized(self, width: int, height: int, interpolation: Interpolation) -> Image:
        if (width, height) == (self.width, self.height):
            return self._image
        return resize(self._image, width, height, interpolation)

    def grey(self, width: int, height: int) -> Image:
        # Resizing before the colour conversion converts far fewer pixels.
        small = self.resized(width, height, "area")
        return np.asarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


def resize(image: Image, width: int, height: int, interpolation: Interpolation) -> Image:
    if interpolation == "area":
        return shrink_by_area(image, width, height)
    return np.asarray(
        cv2.resize(image, (width, height), interpolation=OPENCV_INTERPOLATION[interpolation]),
        dtype=np.uint8,
    )


def shrink_by_area(image: Image, width: int, height: int) -> Image:
    """``image`` area-averaged to ``width`` x ``height``, halving first where that is exact.

    OpenCV vectorises area averaging only for an exact halving; any other factor takes a
    scalar loop over every source pixel. 1280x720 -> 160x90 in one call took 0.31 ms, as three
    halvings 0.07 ms, and every analysed frame of every camera pays it in the motion gate.
    Halving is only done while the remaining factor is an even whole number, so each output
    pixel still averages exactly the same source block; the one difference is rounding to whole
    grey levels at each step (at most one level).
    """
    while image.shape[1] % (2 * width) == 0 and image.shape[0] % (2 * height) == 0:
        half = (image.shape[1] // 2, image.shape[0] // 2)
        image = np.asarray(cv2.resize(image, half, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    if image.shape[1] == width and image.shape[0] == height:
        return image
    return np.asarray(
        cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8
    )


def as_picture(image: Image | Picture) -> Picture:
    return ArrayPicture(image) if isinstance(image, np.ndarray) else image
