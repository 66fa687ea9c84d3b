"""The one detection container that flows through every stage of the edge pipeline.

Columns are numpy arrays of equal length so that filtering, zone tests and (later) tracking
stay vectorised; ``tracker_id`` is -1 until a tracker assigns ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

UNTRACKED = -1

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class Detections:
    """N detections in pixel coordinates of the analysed frame."""

    xyxy: FloatArray  # (N, 4) x1, y1, x2, y2
    confidence: FloatArray  # (N,)
    class_id: IntArray  # (N,)
    tracker_id: IntArray  # (N,), UNTRACKED when no tracker ran

    def __post_init__(self) -> None:
        count = len(self.confidence)
        if self.xyxy.shape != (count, 4):
            raise ValueError(f"xyxy must have shape ({count}, 4), got {self.xyxy.shape}")
        if self.class_id.shape != (count,) or self.tracker_id.shape != (count,):
            raise ValueError("class_id and tracker_id must have one entry per detection")

    @classmethod
    def create(
        cls,
        xyxy: npt.ArrayLike,
        confidence: npt.ArrayLike,
        class_id: npt.ArrayLike,
        tracker_id: npt.ArrayLike | None = None,
    ) -> Detections:
        boxes = np.asarray(xyxy, dtype=np.float32).reshape(-1, 4)
        count = len(boxes)
        ids = np.full(count, UNTRACKED) if tracker_id is None else tracker_id
        return cls(
            xyxy=boxes,
            confidence=np.asarray(confidence, dtype=np.float32).reshape(count),
            class_id=np.asarray(class_id, dtype=np.int64).reshape(count),
            tracker_id=np.asarray(ids, dtype=np.int64).reshape(count),
        )

    @classmethod
    def empty(cls) -> Detections:
        return cls.create(np.zeros((0, 4)), [], [])

    def __len__(self) -> int:
        return len(self.confidence)

    def filter(self, mask: BoolArray) -> Detections:
        return Detections(
            xyxy=self.xyxy[mask],
            confidence=self.confidence[mask],
            class_id=self.class_id[mask],
            tracker_id=self.tracker_id[mask],
        )

    def of_classes(self, class_ids: Iterable[int]) -> Detections:
        return self.filter(np.isin(self.class_id, np.fromiter(class_ids, dtype=np.int64)))

    def bottom_centers(self) -> FloatArray:
        """(N, 2) points where objects touch the ground: what zone membership is judged by."""
        x_center = (self.xyxy[:, 0] + self.xyxy[:, 2]) / 2.0
        return np.stack([x_center, self.xyxy[:, 3]], axis=1).astype(np.float32)

    def centers(self) -> FloatArray:
        """(N, 2) box centres."""
        return ((self.xyxy[:, :2] + self.xyxy[:, 2:]) / 2.0).astype(np.float32)

    def area_fractions(self, width: int, height: int) -> FloatArray:
        """(N,) box areas as fractions of a ``width`` x ``height`` frame."""
        sizes = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        area: FloatArray = (sizes[:, 0] * sizes[:, 1] / float(width * height)).astype(np.float32)
        return area
