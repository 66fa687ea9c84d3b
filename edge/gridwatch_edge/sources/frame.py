"""One decoded frame and when it was taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    image: npt.NDArray[np.uint8]  # BGR, (height, width, 3)
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
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])
