"""Zones of interest and masks: polygons from the config, judged in pixels of each frame."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.filters import MaskConfig, Point, Units
from gridwatch_edge.config import ZoneConfig
from gridwatch_edge.detections import UNTRACKED, BoolArray, Detections, FloatArray
from gridwatch_edge.object_filter import ObjectFilter

# Membership of an object unseen this many analysed frames is forgotten. Longer than the
# tracker keeps a lost track (15 frames by default), so a recovered object keeps its state.
FORGET_AFTER_FRAMES = 50


# The size of the decoded frame that pixel coordinates (``units: px``) refer to, when a region
# is drawn at another size (motion and background models work on shrunk copies).
FrameSize = tuple[int, int]


def to_pixels(
    points: Sequence[Point], units: Units, width: int, height: int, frame: FrameSize | None = None
) -> npt.NDArray[np.float64]:
    """(N, 2) coordinates of configured points in a ``width`` x ``height`` picture.

    Relative points scale to any size; pixel points are pixels of the decoded ``frame`` (by
    default the picture itself) and scale with it.
    """
    array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if units == "px":
        if frame is None or frame == (width, height):
            return array
        return array * np.array([width / frame[0], height / frame[1]], dtype=np.float64)
    return array * np.array([width - 1, height - 1], dtype=np.float64)


def sample(mask: npt.NDArray[np.uint8], points: FloatArray) -> npt.NDArray[np.uint8]:
    """The mask's value under each (N, 2) pixel point, points off the frame clamped to it."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.uint8)
    height, width = mask.shape
    rounded = np.round(points).astype(np.int64)
    xs = np.clip(rounded[:, 0], 0, width - 1)
    ys = np.clip(rounded[:, 1], 0, height - 1)
    return mask[ys, xs]


class Region:
    """A polygon in relative or pixel units; masks are rasterised once per frame size."""

    def __init__(self, polygon: Sequence[Point], units: Units) -> None:
        self._points = list(polygon)
        self._units: Units = units
        self._masks: dict[tuple[int, int, FrameSize | None], npt.NDArray[np.uint8]] = {}

    def pixel_polygon(
        self, width: int, height: int, frame: FrameSize | None = None
    ) -> npt.NDArray[np.int32]:
        pixels = to_pixels(self._points, self._units, width, height, frame)
        return np.round(pixels).astype(np.int32)

    def area_fraction(self, width: int, height: int) -> float:
        """Fraction of a width x height frame the polygon covers (0..1]."""
        pixels = to_pixels(self._points, self._units, width, height).astype(np.float32)
        return float(cv2.contourArea(pixels)) / float(max(width - 1, 1) * max(height - 1, 1))

    def contains_points(self, points: FloatArray, width: int, height: int) -> BoolArray:
        return sample(self.mask(width, height), points) > 0

    def mask(
        self, width: int, height: int, frame: FrameSize | None = None
    ) -> npt.NDArray[np.uint8]:
        """255 inside the polygon, 0 outside, at ``width`` x ``height``."""
        mask = self._masks.get((width, height, frame))
        if mask is None:
            mask = np.zeros((height, width), dtype=np.uint8)
            cv2.fillPoly(mask, [self.pixel_polygon(width, height, frame)], 255)
            self._masks[(width, height, frame)] = mask
        return mask


class Masks:
    """The union of a camera's mask polygons of one kind (objects or motion)."""

    def __init__(self, configs: Sequence[MaskConfig]) -> None:
        self._regions = [Region(config.polygon, config.units) for config in configs]
        self._union: dict[tuple[int, int, FrameSize | None], npt.NDArray[np.uint8]] = {}

    def __bool__(self) -> bool:
        return bool(self._regions)

    def covered(
        self, width: int, height: int, frame: FrameSize | None = None
    ) -> npt.NDArray[np.uint8]:
        """255 where any mask polygon lies, at ``width`` x ``height`` (a size's first call
        rasterises; polygons are drawn at that size so that thin masks survive)."""
        union = self._union.get((width, height, frame))
        if union is None:
            union = np.zeros((height, width), dtype=np.uint8)
            for region in self._regions:
                cv2.fillPoly(union, [region.pixel_polygon(width, height, frame)], 255)
            self._union[(width, height, frame)] = union
        return union

    def pixel_polygons(self, width: int, height: int) -> list[npt.NDArray[np.int32]]:
        return [region.pixel_polygon(width, height) for region in self._regions]

    def drop_covered(self, detections: Detections, width: int, height: int) -> Detections:
        """Detections whose bottom centre lies outside every polygon."""
        if not self._regions or len(detections) == 0:
            return detections
        covered = sample(self.covered(width, height), detections.bottom_centers())
        return detections.filter(covered == 0)


class Zone(Region):
    """A zone of the config, with the zone's own object filters when it has some."""

    def __init__(self, config: ZoneConfig, class_names: Sequence[str] = ()) -> None:
        super().__init__(config.polygon, config.units)
        self.id = config.id
        filters = config.filters
        self._filter = (
            None if filters is None else ObjectFilter(filters, class_names, config.id, "zone")
        )
        self._by_bottom = filters is None or filters.bottom_in_zone

    def contains(self, detections: Detections, width: int, height: int) -> BoolArray:
        """Which detections stand in the zone (bottom centre of the box, or its centre when
        the zone's filters say so) and pass the zone's filters."""
        if len(detections) == 0:
            return np.zeros(0, dtype=np.bool_)
        points = detections.bottom_centers() if self._by_bottom else detections.centers()
        inside = self.contains_points(points, width, height)
        if self._filter is not None:
            inside &= self._filter.keep(detections, width, height)
        return inside


class ZoneMembership:
    """Which tracked objects are in a zone, with ``inertia`` frames of hysteresis.

    A tracked object counts as entering (or leaving) only after ``inertia`` consecutive
    analysed frames on the new side of the edge. A box's bottom edge jitters by a few pixels
    from frame to frame (more when legs or a shadow are cut off), so an object standing on the
    edge would otherwise enter and leave several times a second. Three frames (0.6 s at 5 fps)
    absorb that jitter while a walker who really crosses is counted almost at once. Untracked
    detections have no past: they are judged on this frame alone.
    """

    def __init__(self, zone: Zone, class_ids: Iterable[int] | None, inertia: int) -> None:
        self.zone = zone
        self._class_ids = None if class_ids is None else np.fromiter(class_ids, dtype=np.int64)
        self._inertia = inertia
        # tracker id -> (counted inside?, consecutive frames seen on the other side)
        self._state: dict[int, tuple[bool, int]] = {}
        self._last_seen: dict[int, int] = {}
        self._frame = 0

    def update(self, detections: Detections, width: int, height: int) -> Detections:
        """The detections (of the configured classes) that count as inside this frame."""
        if self._class_ids is not None:
            detections = detections.filter(np.isin(detections.class_id, self._class_ids))
        self._frame += 1
        raw = self.zone.contains(detections, width, height)
        inside = raw.copy()
        for index, track_id in enumerate(detections.tracker_id.tolist()):
            if track_id != UNTRACKED:
                self._last_seen[track_id] = self._frame
                inside[index] = self._judge(track_id, bool(raw[index]))
        for track_id, last_seen in list(self._last_seen.items()):
            if self._frame - last_seen > FORGET_AFTER_FRAMES:
                del self._last_seen[track_id], self._state[track_id]
        return detections.filter(inside)

    def _judge(self, track_id: int, raw_inside: bool) -> bool:
        counted, streak = self._state.get(track_id, (False, 0))
        if raw_inside == counted:
            self._state[track_id] = (counted, 0)
            return counted
        streak += 1
        if streak >= self._inertia:
            self._state[track_id] = (raw_inside, 0)
            return raw_inside
        self._state[track_id] = (counted, streak)
        return counted
