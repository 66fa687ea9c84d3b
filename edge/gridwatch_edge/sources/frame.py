"""One decoded frame and when it was taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gridwatch_edge.picture import Image, Picture


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    # The decoded picture: consumers ask it for the size they need (``Picture``), so that no
    # full-resolution BGR copy is made unless something (a snapshot) needs one.
    picture: Picture
    index: int  # position in the stream, counting skipped frames too
    # Seconds into a file, or since a live stream was opened: the clock rules measure with, so
    # that replaying a file gives the same events whatever the machine speed.
    media_time_s: float
    captured_at: datetime  # timezone-aware wall clock
    live: bool  # True for cameras, False for recorded files
    # time.monotonic() when the frame became available: when grab() returned for a camera, the
    # frame's due time for a file paced in real time. Latency is measured from here.
    arrived_at: float = 0.0

    @property
    def image(self) -> Image:
        """The full picture as BGR (height, width, 3), converted on first use."""
        return self.picture.bgr()

    @property
    def width(self) -> int:
        return self.picture.width

    @property
    def height(self) -> int:
        return self.picture.height
