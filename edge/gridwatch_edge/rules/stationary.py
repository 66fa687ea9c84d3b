"""Road blockage and illegal parking: objects standing still in a zone.

One event per zone, not per vehicle: the condition is "something blocks / is parked here",
it lasts while any qualifying object stays, and its alerts list the objects involved. That
also keeps a van the detector sees as both ``car`` and ``truck`` (two tracks on one vehicle)
a single event.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.rules import IllegalParkingRuleConfig, RoadBlockageRuleConfig
from gridwatch_contract.messages import EventType
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.object_filter import class_ids
from gridwatch_edge.rules.base import ConfidenceMemory, TrackLookup, make_event
from gridwatch_edge.rules.lifecycle import Lifecycle
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.tracking.geometry import iou_matrix
from gridwatch_edge.zones import Zone, ZoneMembership

# Two stopped tracks whose boxes overlap this much are one vehicle seen as two classes (the
# clip's parked van is both ``car`` and ``truck``, IoU ~0.95); cars parked nose to tail or
# one behind the other in perspective overlap far less.
SAME_VEHICLE_IOU = 0.7


class StationaryRule:
    """Raised while a tracked object of the watched classes has been still for ``dwell_s``."""

    def __init__(
        self,
        config: RoadBlockageRuleConfig | IllegalParkingRuleConfig,
        zone: Zone,
        class_names: Sequence[str],
        tracks: TrackLookup,
    ) -> None:
        self._config = config
        self._classes = class_ids(config.classes, class_names, config.id)
        # Large objects may be of any class, so membership is judged for every class.
        self._membership = ZoneMembership(zone, None, config.zone_inertia)
        self._tracks = tracks
        # A person close to the camera has a large box but blocks nothing for long.
        self._not_large = (
            class_ids(["person"], class_names, config.id) if "person" in class_names else []
        )
        self._lifecycle = Lifecycle(config)
        self._confidence = ConfidenceMemory()
        self._event_type = (
            EventType.ROAD_BLOCKAGE
            if isinstance(config, RoadBlockageRuleConfig)
            else EventType.ILLEGAL_PARKING
        )

    @property
    def rule_id(self) -> str:
        return self._config.id

    def finish(self, frame: Frame) -> list[Event]:
        del frame  # an open event stays open: the condition was still true at the last frame
        return []

    def overlays(self, width: int, height: int) -> list[npt.NDArray[np.int32]]:
        return [self._membership.zone.pixel_polygon(width, height)]

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        inside = self._membership.update(detections, frame.width, frame.height)
        still = self._still_for(inside, frame.media_time_s)
        watched = self._watched(inside, frame)
        blocking = watched & (still + 1e-6 >= self._config.dwell_s)
        stopped = np.isin(inside.class_id, self._classes) & (still >= self._stopped_after_s)
        stopped_count = distinct_boxes(inside.xyxy[stopped])
        raised = bool(blocking.any()) or self._too_many_stopped(stopped_count)
        step = self._lifecycle.step(frame.media_time_s, frame.captured_at, raised=raised)
        if step is None:
            return []
        objects = inside.filter(blocking | stopped)
        measurements = {
            "object_count": float(len(objects)),
            "stopped_vehicles": float(stopped_count),
            "stationary_s": float(still[blocking | stopped].max(initial=0.0)),
            "dwell_s": self._config.dwell_s,
            "duration_s": frame.media_time_s - step.event.started_s,
        }
        return [
            make_event(
                step,
                event_type=self._event_type,
                rule_id=self._config.id,
                zone_id=self._membership.zone.id,
                frame=frame,
                objects=objects,
                confidence=self._confidence.of(objects),
                measurements=measurements,
            )
        ]

    @property
    def _stopped_after_s(self) -> float:
        if isinstance(self._config, RoadBlockageRuleConfig):
            return self._config.stopped_after_s
        return self._config.dwell_s

    def _too_many_stopped(self, stopped: int) -> bool:
        if not isinstance(self._config, RoadBlockageRuleConfig):
            return False
        minimum = self._config.min_stopped_vehicles
        return minimum is not None and stopped >= minimum

    def _still_for(self, detections: Detections, now_s: float) -> npt.NDArray[np.float64]:
        """Seconds each detection has stood still (0 for untracked ones)."""
        still = np.zeros(len(detections))
        for index, track_id in enumerate(detections.tracker_id.tolist()):
            track = self._tracks.get(track_id)
            if track is not None:
                still[index] = track.stationary_for_s(now_s)
        return still

    def _watched(self, detections: Detections, frame: Frame) -> npt.NDArray[np.bool_]:
        watched = np.isin(detections.class_id, self._classes)
        if isinstance(self._config, RoadBlockageRuleConfig):
            minimum = self._config.large_object_min_area
            if minimum is not None:
                sizes = detections.xyxy[:, 2:] - detections.xyxy[:, :2]
                area = np.prod(sizes, axis=1) / float(frame.width * frame.height)
                watched |= (area >= minimum) & ~np.isin(detections.class_id, self._not_large)
        return watched


def distinct_boxes(boxes: npt.NDArray[np.float32]) -> int:
    """How many objects the boxes show, boxes overlapping by ``SAME_VEHICLE_IOU`` counted once."""
    overlap = iou_matrix(boxes, boxes) >= SAME_VEHICLE_IOU
    counted: list[int] = []
    for index in range(len(boxes)):
        if not any(overlap[index, other] for other in counted):
            counted.append(index)
    return len(counted)
