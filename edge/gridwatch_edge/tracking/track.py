"""One tracked object: its motion filter, its recent path and whether it stands still."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np
import numpy.typing as npt

from gridwatch_edge.tracking.kalman import KalmanBoxFilter


class TrackState(Enum):
    TENTATIVE = "tentative"  # seen, not yet confirmed: no public id
    CONFIRMED = "confirmed"  # matched this frame
    LOST = "lost"  # confirmed before, missed lately: kept (predicted) to be recovered


@dataclass(frozen=True, slots=True)
class PathPoint:
    """Where the object touched the ground (bottom centre of its box) at a media time."""

    media_time_s: float
    x: float
    y: float
    box_height: float


class Track:
    def __init__(
        self,
        box: npt.NDArray[np.float32],
        class_id: int,
        score: float,
        media_time_s: float,
        *,
        history_s: float,
        stationary_fraction: float,
    ) -> None:
        self.track_id = -1  # assigned by the tracker on confirmation
        self.class_id = class_id
        self.score = score
        self.state = TrackState.TENTATIVE
        self.hits = 1
        self.misses = 0
        self.first_seen_s = media_time_s
        self.last_seen_s = media_time_s
        self.observed_box = np.asarray(box, dtype=np.float64)  # last detection matched to it
        self._filter = KalmanBoxFilter(box)
        self._predicted_at_s = media_time_s
        self._history_s = history_s
        self._stationary_fraction = stationary_fraction
        self.path: deque[PathPoint] = deque()
        self._anchor: PathPoint | None = None
        self._record(box, media_time_s)

    @property
    def box(self) -> npt.NDArray[np.float64]:
        return self._filter.xyxy()

    def predict(self, media_time_s: float) -> None:
        if self.state is TrackState.LOST:
            # As in ByteTrack: an unseen object's size is not extrapolated; a box cut down by
            # an occluder would otherwise keep "shrinking" to nothing.
            self._filter.stop_resizing()
        self._filter.predict(media_time_s - self._predicted_at_s)
        self._predicted_at_s = media_time_s

    def hit(self, box: npt.NDArray[np.float32], score: float, media_time_s: float) -> None:
        self._filter.update(box)
        self.observed_box = np.asarray(box, dtype=np.float64)
        self.score = score
        self.hits += 1
        self.misses = 0
        self.last_seen_s = media_time_s
        self._record(box, media_time_s)

    def miss(self) -> None:
        self.misses += 1

    def stationary_for_s(self, now_s: float) -> float:
        """How long the object has stood still (0 when it moved at its last sighting).

        "Still" means the bottom centre stayed within ``stationary_fraction`` of the box height
        of where it came to rest. A fraction of the height rather than pixels because both the
        detector's jitter and the distance a walker covers per second scale with the object's
        apparent size: the same threshold then works near the camera and far from it.
        """
        if self._anchor is None:
            return 0.0
        return max(now_s, self.last_seen_s) - self._anchor.media_time_s

    def _record(self, box: npt.NDArray[np.float32], media_time_s: float) -> None:
        x1, _, x2, y2 = (float(v) for v in box)
        point = PathPoint(media_time_s, (x1 + x2) / 2.0, y2, max(float(box[3] - box[1]), 1.0))
        self.path.append(point)
        while self.path and self.path[0].media_time_s < media_time_s - self._history_s:
            self.path.popleft()
        anchor = self._anchor
        if anchor is None:
            self._anchor = point
            return
        moved = np.hypot(point.x - anchor.x, point.y - anchor.y)
        if moved > self._stationary_fraction * point.box_height:
            self._anchor = point
