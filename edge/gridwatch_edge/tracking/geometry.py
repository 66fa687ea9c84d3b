"""Box and line geometry shared by the tracker and the rules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float64]


def iou_matrix(boxes_a: npt.ArrayLike, boxes_b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """(len(a), len(b)) intersection over union of xyxy boxes."""
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - intersection
    return np.where(union > 0, intersection / np.maximum(union, 1e-9), 0.0)


def intersection_over_smaller(box_a: npt.ArrayLike, box_b: npt.ArrayLike) -> float:
    """Overlap of two xyxy boxes relative to the smaller one: 1 when one holds the other."""
    a = np.asarray(box_a, dtype=np.float64)
    b = np.asarray(box_b, dtype=np.float64)
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    smaller = min(np.prod(a[2:] - a[:2]), np.prod(b[2:] - b[:2]))
    if width <= 0 or height <= 0 or smaller <= 0:
        return 0.0
    return float(width * height / smaller)


def side_of_line(start: Points, end: Points, point: Points) -> float:
    """Signed area: > 0 when ``point`` is on the right of start→end as seen on screen.

    Image y grows downwards, so the usual "positive cross product = left" is mirrored: a line
    drawn left→right has positive values below it.
    """
    direction = end - start
    offset = point - start
    return float(direction[0] * offset[1] - direction[1] * offset[0])


def segments_intersect(p1: Points, p2: Points, q1: Points, q2: Points) -> bool:
    """True when segment p1-p2 crosses segment q1-q2 (touching counts)."""
    d1 = side_of_line(q1, q2, p1)
    d2 = side_of_line(q1, q2, p2)
    d3 = side_of_line(p1, p2, q1)
    d4 = side_of_line(p1, p2, q2)
    return d1 * d2 <= 0 and d3 * d4 <= 0
