"""Left object / littering: a new object stays in a zone, after whoever brought it has gone.

Two sources of candidate objects, either or both per rule:

- detector classes (backpack, handbag, suitcase, bottle by default), tracked and judged still
  by the tracker;
- a persistent background change (``background.py``), for objects the detector has no class
  for or misses at this size.

Candidates are kept by place in a ledger (``abandonment.py``): identity survives walkers and
cars passing in front for ``occlusion_s``, each object is attributed to the person it came
with, and it is *left* once that person has gone and it has stayed for ``dwell_s``. The rule
raises one event per zone while any left object remains (``littering`` is the same rule with
its own event type, configured for small objects).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.rules import LeftObjectRuleConfig
from gridwatch_contract.messages import EventType
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.object_filter import class_ids
from gridwatch_edge.rules.abandonment import KnownObject, Ledger
from gridwatch_edge.rules.background import BackgroundChange
from gridwatch_edge.rules.base import TrackLookup, make_event
from gridwatch_edge.rules.lifecycle import Lifecycle
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Masks, Zone, ZoneMembership

PERSON_CLASS = "person"
# A detector object counts as a candidate once it has stood still this long: a bag swinging
# from a walker's hand never does, one put down does within a second.
STILL_AFTER_S = 1.0


class LeftObjectRule:
    def __init__(
        self,
        config: LeftObjectRuleConfig,
        zone: Zone,
        class_names: Sequence[str],
        tracks: TrackLookup,
        motion_masks: Masks | None = None,
    ) -> None:
        self._config = config
        self._zone = zone
        self._objects = class_ids(config.classes, class_names, config.id)
        (self._person,) = class_ids([PERSON_CLASS], class_names, config.id)
        self._membership = ZoneMembership(zone, self._objects, config.zone_inertia)
        self._tracks = tracks
        self._background = (
            None
            if config.background is None
            else BackgroundChange(config.background, zone, motion_masks)
        )
        self._ledger = Ledger(config)
        self._lifecycle = Lifecycle(config)
        self._confidence = 1.0
        self._left: list[KnownObject] = []
        self._frame_size = (1, 1)
        self._event_type = (
            EventType.LITTERING if config.type == "littering" else EventType.LEFT_OBJECT
        )

    @property
    def rule_id(self) -> str:
        return self._config.id

    def finish(self, frame: Frame) -> list[Event]:
        del frame  # an open event stays open: the condition was still true at the last frame
        return []

    def overlays(self, width: int, height: int) -> list[npt.NDArray[np.int32]]:
        """The zone and the outline of every object reported as left."""
        del width, height  # object boxes are in pixels of the frame that raised them
        outlines = [
            np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.int32)
            for x1, y1, x2, y2 in (np.round(o.box).astype(int).tolist() for o in self._left)
        ]
        return [self._zone.pixel_polygon(*self._frame_size), *outlines]

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        self._frame_size = (frame.width, frame.height)
        now = frame.media_time_s
        persons = [t for t in self._tracks.active if t.class_id == self._person]
        inside = self._membership.update(detections, frame.width, frame.height)
        objects = self._still_objects(self._small(inside, frame), now)
        object_keys = self._ledger.observe(
            objects.xyxy, self._object_since(objects, now), now, persons
        )
        blob_count = 0
        if self._background is not None:
            others = detections.filter(~np.isin(detections.class_id, self._objects))
            blobs = self._small(self._background.update(frame, others), frame)
            # A changed region shows only once the short-term model has absorbed it: the
            # object has been there about that long already.
            absorbed_s = self._background.absorb_s
            self._ledger.observe(blobs.xyxy, [now - absorbed_s] * len(blobs), now, persons)
            blob_count = len(blobs)
        self._left = self._ledger.update(now, persons)
        left_keys = {o.key for o in self._left}
        left_objects = objects.filter(
            np.array([k in left_keys for k in object_keys], dtype=np.bool_)
        )
        step = self._lifecycle.step(now, frame.captured_at, raised=bool(self._left))
        if step is None:
            return []
        measurements = {
            "object_count": float(len(self._left)),
            "detected_objects": float(len(left_objects)),
            "changed_regions": float(blob_count),
            "changed_area": self._area(self._left, frame),
            "unattended_s": max((now - o.unattended_since_s() for o in self._left), default=0.0),
            "dwell_s": self._config.dwell_s,
            "duration_s": now - step.event.started_s,
        }
        if len(left_objects):
            self._confidence = float(np.mean(left_objects.confidence))
        elif self._left:
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

    def _small(self, candidates: Detections, frame: Frame) -> Detections:
        """Candidates within ``max_object_area`` (littering: small things only)."""
        limit = self._config.max_object_area
        if limit is None or len(candidates) == 0:
            return candidates
        return candidates.filter(candidates.area_fractions(frame.width, frame.height) <= limit)

    def _still_objects(self, objects: Detections, now_s: float) -> Detections:
        still = np.array(
            [
                self._still_for(track_id, now_s) >= STILL_AFTER_S
                for track_id in objects.tracker_id.tolist()
            ],
            dtype=np.bool_,
        )
        return objects.filter(still.reshape(len(objects)))

    def _object_since(self, objects: Detections, now_s: float) -> list[float]:
        return [
            now_s - self._still_for(track_id, now_s) for track_id in objects.tracker_id.tolist()
        ]

    def _still_for(self, track_id: int, now_s: float) -> float:
        track = self._tracks.get(track_id)
        return 0.0 if track is None else track.stationary_for_s(now_s)

    @staticmethod
    def _area(left: list[KnownObject], frame: Frame) -> float:
        area = sum(max(o.box[2] - o.box[0], 0) * max(o.box[3] - o.box[1], 0) for o in left)
        return float(area) / float(frame.width * frame.height)
