"""Left object / littering: something new stays in a zone, unattended, for ``dwell_s``.

Two sources of candidate objects, either or both per rule:

- detector classes (backpack, handbag, suitcase, bottle by default), tracked and judged still
  by the tracker;
- a persistent background change (``background.py``), for objects the detector has no class
  for or misses at this size.

A candidate is *left* once it has been still, with no person within ``owner_radius`` person
heights of it, for ``dwell_s``: the person who brought it has gone. The rule raises one event
per zone while any left object remains (``littering`` is the same rule with its own type).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import EventType
from gridwatch_edge.config import LeftObjectRuleConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.rules.background import BackgroundChange
from gridwatch_edge.rules.base import TrackLookup, class_ids, make_event
from gridwatch_edge.rules.lifecycle import Lifecycle
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Zone, ZoneMembership

PERSON_CLASS = "person"


class _Unattended:
    """Since when each candidate (by key) has had nobody near it."""

    def __init__(self) -> None:
        self._since: dict[tuple[str, int], float] = {}

    def durations(
        self, keys: list[tuple[str, int]], attended: list[bool], now_s: float
    ) -> npt.NDArray[np.float64]:
        result = np.zeros(len(keys))
        for index, (key, near) in enumerate(zip(keys, attended, strict=True)):
            if near:
                self._since.pop(key, None)
                continue
            result[index] = now_s - self._since.setdefault(key, now_s)
        for key in set(self._since) - set(keys):
            del self._since[key]
        return result


class LeftObjectRule:
    def __init__(
        self,
        config: LeftObjectRuleConfig,
        zone: Zone,
        class_names: Sequence[str],
        tracks: TrackLookup,
    ) -> None:
        self._config = config
        self._zone = zone
        self._objects = class_ids(config.classes, class_names, config.id)
        (self._person,) = class_ids([PERSON_CLASS], class_names, config.id)
        self._membership = ZoneMembership(zone, self._objects, config.zone_inertia)
        self._tracks = tracks
        self._background = (
            None if config.background is None else BackgroundChange(config.background, zone)
        )
        self._unattended = {"object": _Unattended(), "blob": _Unattended()}
        self._lifecycle = Lifecycle(config)
        self._confidence = 1.0
        self._left_blobs = Detections.empty()
        self._frame_size = (1, 1)
        self._event_type = (
            EventType.LITTERING if config.type == "littering" else EventType.LEFT_OBJECT
        )

    @property
    def rule_id(self) -> str:
        return self._config.id

    def overlays(self, width: int, height: int) -> list[npt.NDArray[np.int32]]:
        """The zone and the outline of every changed region reported as left."""
        del width, height  # blob boxes are already in pixels of the frame that raised them
        outlines = [
            np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.int32)
            for x1, y1, x2, y2 in self._left_blobs.xyxy.round().astype(int).tolist()
        ]
        return [self._zone.pixel_polygon(*self._frame_size), *outlines]

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        self._frame_size = (frame.width, frame.height)
        now = frame.media_time_s
        persons = detections.of_classes([self._person])
        objects = self._membership.update(detections, frame.width, frame.height)
        left_objects = objects.filter(self._left(objects, "object", persons, now, self._tracks))
        self._left_blobs = Detections.empty()
        if self._background is not None:
            others = detections.filter(~np.isin(detections.class_id, self._objects))
            blobs = self._background.update(frame, others)
            self._left_blobs = blobs.filter(
                self._left(blobs, "blob", persons, now, self._background.tracker)
            )
        count = len(left_objects) + len(self._left_blobs)
        step = self._lifecycle.step(now, frame.captured_at, raised=count > 0)
        if step is None:
            return []
        measurements = {
            "object_count": float(count),
            "detected_objects": float(len(left_objects)),
            "changed_regions": float(len(self._left_blobs)),
            "changed_area": self._relative_area(self._left_blobs, frame),
            "dwell_s": self._config.dwell_s,
            "duration_s": now - step.event.started_s,
        }
        if len(left_objects):
            self._confidence = float(np.mean(left_objects.confidence))
        elif len(self._left_blobs):
            # A changed region has no detector score: it is certain once it has persisted.
            self._confidence = 1.0
        return [
            make_event(
                step,
                event_type=self._event_type,
                rule_id=self._config.id,
                zone_id=self._zone.id,
                frame=frame,
                objects=left_objects,
                confidence=self._confidence,  # an end frame reports the last objects' score
                measurements=measurements,
            )
        ]

    def _left(
        self,
        candidates: Detections,
        kind: str,
        persons: Detections,
        now_s: float,
        tracks: TrackLookup,
    ) -> npt.NDArray[np.bool_]:
        keys, still = [], np.zeros(len(candidates))
        for index, track_id in enumerate(candidates.tracker_id.tolist()):
            keys.append((kind, track_id))
            track = tracks.get(track_id)
            if track is not None:
                still[index] = track.stationary_for_s(now_s)
        attended = self._attended(candidates, persons)
        unattended = self._unattended[kind].durations(keys, attended, now_s)
        tracked = candidates.tracker_id >= 0
        return tracked & (np.minimum(still, unattended) + 1e-6 >= self._config.dwell_s)

    def _attended(self, candidates: Detections, persons: Detections) -> list[bool]:
        if len(persons) == 0:
            return [False] * len(candidates)
        feet = persons.bottom_centers()
        radius = self._config.owner_radius * (persons.xyxy[:, 3] - persons.xyxy[:, 1])
        result = []
        for point in candidates.bottom_centers():
            distance = np.hypot(*(feet - point).T)
            result.append(bool((distance <= radius).any()))
        return result

    @staticmethod
    def _relative_area(blobs: Detections, frame: Frame) -> float:
        sizes = blobs.xyxy[:, 2:] - blobs.xyxy[:, :2]
        return float(np.prod(sizes, axis=1).sum()) / float(frame.width * frame.height)
