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
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.rule_config import LeftObjectRuleConfig
from gridwatch_edge.rules.background import BackgroundChange
from gridwatch_edge.rules.base import TrackLookup, class_ids, make_event
from gridwatch_edge.rules.lifecycle import Lifecycle
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.tracking.geometry import intersection_over_smaller
from gridwatch_edge.zones import Zone, ZoneMembership

PERSON_CLASS = "person"
# A new track whose box lies at least this much inside a reported object's box is that object
# seen again (partly hidden boxes are smaller, so overlap is measured on the smaller box).
SAME_OBJECT_OVERLAP = 0.5


class _Unattended:
    """Since when each candidate (by tracker id) has had nobody near it.

    Once a candidate has been reported as left it stays left while it is there: a passer-by
    walking close to an abandoned bag does not make it attended again (and must not end the
    event); the owner taking it back removes the object, which does.
    """

    def __init__(self) -> None:
        self._since: dict[int, float] = {}
        self._left: set[int] = set()
        self._boxes: dict[int, npt.NDArray[np.float32]] = {}  # last box of each left object

    def inherit(self, candidates: Detections) -> None:
        """A new track mostly inside the last box of a reported object is that object.

        Someone walking right past a bag cuts its outline; the tracker may then give the
        whole bag a new id when it reappears. It must not start a new dwell.
        """
        for index, track_id in enumerate(candidates.tracker_id.tolist()):
            if track_id < 0 or track_id in self._left or track_id in self._since:
                continue
            box = candidates.xyxy[index]
            for known, known_box in list(self._boxes.items()):
                if intersection_over_smaller(box, known_box) >= SAME_OBJECT_OVERLAP:
                    self._left.add(track_id)
                    self._since[track_id] = self._since.get(known, 0.0)
                    break

    def durations(
        self, candidates: Detections, attended: list[bool], now_s: float
    ) -> npt.NDArray[np.float64]:
        track_ids = candidates.tracker_id.tolist()
        for index, track_id in enumerate(track_ids):
            if track_id in self._left:
                self._boxes[track_id] = candidates.xyxy[index]
        result = np.zeros(len(track_ids))
        for index, (track_id, near) in enumerate(zip(track_ids, attended, strict=True)):
            if near and track_id not in self._left:
                self._since.pop(track_id, None)
                continue
            result[index] = now_s - self._since.setdefault(track_id, now_s)
        for track_id in set(self._since) - set(track_ids) - self._left:
            del self._since[track_id]
        return result

    def mark_left(self, track_ids: list[int]) -> None:
        self._left.update(track_ids)

    def still_left(self, tracks: TrackLookup) -> int:
        """Objects reported as left that their tracker still knows, even while hidden.

        A passer-by hides a bag for a few seconds; the event must not end and restart.
        """
        for track_id in [t for t in self._left if tracks.get(t) is None]:
            self._left.discard(track_id)
            self._since.pop(track_id, None)
            self._boxes.pop(track_id, None)
        return len(self._left)


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
        remembered = self._unattended["object"].still_left(self._tracks)
        if self._background is not None:
            remembered += self._unattended["blob"].still_left(self._background.tracker)
        step = self._lifecycle.step(now, frame.captured_at, raised=count + remembered > 0)
        if step is None:
            return []
        measurements = {
            "object_count": float(max(count, remembered)),
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
        track_ids = candidates.tracker_id.tolist()
        still = np.zeros(len(candidates))
        for index, track_id in enumerate(track_ids):
            track = tracks.get(track_id)
            if track is not None:
                still[index] = track.stationary_for_s(now_s)
        unattended = self._unattended[kind]
        unattended.inherit(candidates)
        durations = unattended.durations(candidates, self._attended(candidates, persons), now_s)
        left = (candidates.tracker_id >= 0) & (
            np.minimum(still, durations) + 1e-6 >= self._config.dwell_s
        )
        unattended.mark_left(candidates.tracker_id[left].tolist())
        return left

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
