"""A PyAV-decoded picture converted only as far as each consumer needs.

The motion gate takes the luma plane alone, area-averaged to its small size, with no colour
conversion at all (0.07 ms for 1280x720 -> 160x90 in three halvings, against 0.6 ms or more for
shrinking the converted BGR picture). The detector's input is the full picture converted to BGR
by swscale's unscaled fast path and resized by OpenCV (0.32 + 0.15 ms, single-threaded), which
is the pixels the detector always saw. Measured alternatives were not better: swscale scaling
and converting in one call costs 0.6-1.1 ms, and resizing the three planes before converting
only those pixels (0.42 ms) shifts colours enough to lose 2 of the 26 first line crossings on
the sample clip. The BGR picture is kept for whatever else wants it (snapshots, the
background-change rule).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
import numpy.typing as npt
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter

from gridwatch_edge.picture import Image, Interpolation, resize, shrink_by_area

# Luma is taken straight from FFmpeg's common decoder output, limited-range 4:2:0; anything
# else is converted to BGR first.
PLANAR_FORMAT = "yuv420p"
FULL_RANGE = 2  # AVCOL_RANGE_JPEG
# Limited-range luma spans 16..235; stretched to 0..255 it matches the grey level OpenCV
# computes from the converted BGR picture (within a level or two).
LUMA_BLACK, LUMA_SPAN = 16.0, 219.0


class FullConverter:
    """One swscale context per stream for full-size BGR conversions. swscale contexts are not
    thread-safe and cost about a millisecond to set up, so pictures share it under a lock."""

    def __init__(self) -> None:
        self._reformatter = VideoReformatter()
        self._lock = threading.Lock()

    def bgr(self, frame: VideoFrame) -> Image:
        with self._lock:
            # threads=1: swscale's default slices every conversion over all cores, which only
            # adds hand-offs on a box whose cores are already busy with other cameras.
            converted = self._reformatter.reformat(frame, format="bgr24", threads=1)
            return np.asarray(converted.to_ndarray(), dtype=np.uint8)


class AvPicture:
    """A ``Picture`` over one decoded PyAV frame (its buffers are reference-counted, so the
    decoder moving on does not change it)."""

    __slots__ = ("_bgr", "_converter", "_frame", "_planar")

    def __init__(self, frame: VideoFrame, converter: FullConverter) -> None:
        self._frame = frame
        self._converter = converter
        self._bgr: Image | None = None
        self._planar = frame.format.name == PLANAR_FORMAT and frame.color_range != FULL_RANGE

    @property
    def width(self) -> int:
        return int(self._frame.width)

    @property
    def height(self) -> int:
        return int(self._frame.height)

    def bgr(self) -> Image:
        # Two threads asking at once both convert and one result is kept: harmless.
        if self._bgr is None:
            self._bgr = self._converter.bgr(self._frame)
        return self._bgr

    def resized(self, width: int, height: int, interpolation: Interpolation) -> Image:
        return resize(self.bgr(), width, height, interpolation)

    def grey(self, width: int, height: int) -> Image:
        if not self._planar:
            return np.asarray(
                cv2.cvtColor(resize(self.bgr(), width, height, "area"), cv2.COLOR_BGR2GRAY),
                dtype=np.uint8,
            )
        small = shrink_by_area(self._plane(0), width, height)
        return np.asarray(
            cv2.convertScaleAbs(
                small, alpha=255.0 / LUMA_SPAN, beta=-LUMA_BLACK * 255.0 / LUMA_SPAN
            ),
            dtype=np.uint8,
        )

    def _plane(self, index: int) -> npt.NDArray[np.uint8]:
        """A view of one plane without its row padding (no copy)."""
        plane = self._frame.planes[index]
        rows = np.frombuffer(memoryview(plane), np.uint8, count=plane.line_size * plane.height)
        view: npt.NDArray[np.uint8] = rows.reshape(plane.height, plane.line_size)
        return view[:, : plane.width]
