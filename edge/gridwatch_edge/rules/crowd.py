"""Crowd rule: at least N persons standing in a zone for at least T seconds.

All timing uses ``Frame.media_time_s`` so a replayed file gives the same events at any speed.
Counts are judged on every person detection of the frame (tracked or not): a crowd is a
count, and a person the tracker has not confirmed yet is still a person. When that count is
near the threshold but below it, a denser look at the zone (``dense_count.py``) may find the
people a frame-wide pass misses at a distance; the higher of the two counts is used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from gridwatch_contract.camera.rules import CrowdRuleConfig
from gridwatch_contract.messages import EventType
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.object_filter import class_ids
from gridwatch_edge.rules.base import ConfidenceMemory, make_event
from gridwatch_edge.rules.dense_count import DenseCounter, DetectFn
from gridwatch_edge.rules.lifecycle import Lifecycle
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Zone

PERSON_CLASS = "person"


class CrowdRule:
    def __init__(
        self,
        config: CrowdRuleConfig,
        zone: Zone,
        class_names: Sequence[str],
        detect: DetectFn | None = None,
    ) -> None:
        self._config = config
        self._zone = zone
        (self._person_class,) = class_ids([PERSON_CLASS], class_names, config.id)
        dense = config.dense_count
        self._dense = (
            None
            if dense is None or detect is None
            else DenseCounter(dense, zone, self._person_class, detect)
        )
        self._lifecycle = Lifecycle(config)
        self._confidence = ConfidenceMemory()

    @property
    def rule_id(self) -> str:
        return self._config.id

    def finish(self, frame: Frame) -> list[Event]:
        del frame  # an open event stays open: the condition was still true at the last frame
        return []

    def overlays(self, width: int, height: int) -> list[npt.NDArray[np.int32]]:
        return [self._zone.pixel_polygon(width, height)]

    @property
    def dense_counter(self) -> DenseCounter | None:
        return self._dense

    def count(self, frame: Frame, detections: Detections) -> int:
        """How many persons the rule counts in its zone on this frame (for tuning tools)."""
        persons = detections.of_classes([self._person_class])
        inside = persons.filter(self._zone.contains(persons, frame.width, frame.height))
        return len(self._denser(frame, inside))

    def _denser(self, frame: Frame, persons: Detections) -> Detections:
        """The dense pass's persons when the frame-wide count is near the threshold and the
        dense pass finds more."""
        config = self._config.dense_count
        if self._dense is None or config is None:
            return persons
        near = config.near_threshold * self._config.min_persons
        if not near <= len(persons) < self._config.min_persons:
            return persons
        dense = self._dense.persons(frame)
        return dense if len(dense) > len(persons) else persons

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        persons = detections.of_classes([self._person_class])
        persons = persons.filter(self._zone.contains(persons, frame.width, frame.height))
        persons = self._denser(frame, persons)
        count = len(persons)
        step = self._lifecycle.step(
            frame.media_time_s,
            frame.captured_at,
            raised=count >= self._config.min_persons,
            cleared=count < self._config.min_persons - self._config.count_hysteresis,
        )
        if step is None:
            return []
        area = self._zone.area_fraction(frame.width, frame.height)
        measurements = {
            "person_count": float(count),
            # Persons per unit of relative zone area, i.e. the count the zone would hold if it
            # covered the whole frame; comparable across zones of different sizes on one camera.
            "density": count / area if area > 0 else 0.0,
            "min_persons": float(self._config.min_persons),
            "duration_s": frame.media_time_s - step.event.started_s,
        }
        return [
            make_event(
                step,
                event_type=EventType.CROWD,
                rule_id=self._config.id,
                zone_id=self._zone.id,
                frame=frame,
                objects=persons,
                confidence=self._confidence.of(persons),
                measurements=measurements,
            )
        ]
