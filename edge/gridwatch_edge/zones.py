"""Zones of interest: relative polygons from the config, judged in pixels of each frame."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np
import numpy.typing as npt

from gridwatch_edge.config import ZoneConfig
from gridwatch_edge.detections import UNTRACKED, BoolArray, Detections

# Membership of an object unseen this many analysed frames is forgotten. Longer than the
# tracker keeps a lost track (15 frames by default), so a recovered object keeps its state.
FORGET_AFTER_FRAMES = 50


class Zone:
    """A polygon in relative coordinates; masks are rasterised once per frame size."""

    def __init__(self, config: ZoneConfig) -> None:
        self.id = config.id
        self._relative = np.asarray(config.polygon, dtype=np.float32)
        self._masks: dict[tuple[int, int], npt.NDArray[np.uint8]] = {}

    @property
    def relative_area(self) -> float:
        """Fraction of the frame the zone covers (0..1]."""
        return float(cv2.contourArea(self._relative))

    def pixel_polygon(self, width: int, height: int) -> npt.NDArray[np.int32]:
        scaled = self._relative * np.array([width - 1, height - 1], dtype=np.float32)
        return np.round(scaled).astype(np.int32)

    def contains(self, detections: Detections, width: int, height: int) -> BoolArray:
        """Which detections stand in the zone, judged by the bottom centre of their box."""
        if len(detections) == 0:
            return np.zeros(0, dtype=np.bool_)
        mask = self._mask(width, height)
        points = np.round(detections.bottom_centers()).astype(np.int64)
        xs = np.clip(points[:, 0], 0, width - 1)
        ys = np.clip(points[:, 1], 0, height - 1)
        return mask[ys, xs] > 0

    def _mask(self, width: int, height: int) -> npt.NDArray[np.uint8]:
        mask = self._masks.get((width, height))
        if mask is None:
            mask = np.zeros((height, width), dtype=np.uint8)
            cv2.fillPoly(mask, [self.pixel_polygon(width, height)], 255)
            self._masks[(width, height)] = mask
        return mask


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
