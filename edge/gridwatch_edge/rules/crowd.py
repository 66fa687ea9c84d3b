"""Crowd rule: at least N persons standing in a zone for at least T seconds.

All timing uses ``Frame.media_time_s`` so a replayed file gives the same events at any speed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from gridwatch_contract.messages import AlertState, EventType
from gridwatch_edge.config import CrowdRuleConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Zone

PERSON_CLASS = "person"
# Media times are frame index / fps; 4.8 - 3.8 is 0.99999... in floating point, so durations
# are compared with this slack to make "1 s" mean 1 s whatever the frame numbers.
TIME_SLACK_S = 1e-6


@dataclass(slots=True)
class _Active:
    event_id: uuid.UUID
    started_at: datetime
    sequence: int
    last_emitted_s: float
    below_since_s: float | None = None


class CrowdRule:
    def __init__(self, config: CrowdRuleConfig, zone: Zone, class_names: Sequence[str]) -> None:
        if PERSON_CLASS not in class_names:
            raise ValueError(
                f"crowd rule {config.id!r} needs a model with a {PERSON_CLASS!r} class"
            )
        self._config = config
        self._zone = zone
        self._person_class = list(class_names).index(PERSON_CLASS)
        self._above_since: tuple[float, datetime] | None = None
        self._active: _Active | None = None
        self._last_confidence = 0.0

    @property
    def rule_id(self) -> str:
        return self._config.id

    @property
    def zone(self) -> Zone:
        return self._zone

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        persons = detections.of_classes([self._person_class])
        persons = persons.filter(self._zone.contains(persons, frame.width, frame.height))
        crowded = len(persons) >= self._config.min_persons
        if self._active is None:
            return self._maybe_start(frame, persons, crowded)
        return self._continue(frame, persons, crowded, self._active)

    def _maybe_start(self, frame: Frame, persons: Detections, crowded: bool) -> list[Event]:
        if not crowded:
            self._above_since = None
            return []
        if self._above_since is None:
            self._above_since = (frame.media_time_s, frame.captured_at)
        since_s, since_at = self._above_since
        if frame.media_time_s - since_s + TIME_SLACK_S < self._config.min_duration_s:
            return []
        self._active = _Active(uuid.uuid4(), since_at, 0, frame.media_time_s)
        return [self._event(frame, persons, AlertState.NEW, self._active)]

    def _continue(
        self, frame: Frame, persons: Detections, crowded: bool, active: _Active
    ) -> list[Event]:
        now = frame.media_time_s
        if crowded:
            active.below_since_s = None
            if now - active.last_emitted_s + TIME_SLACK_S < self._config.update_interval_s:
                return []
            return [self._next(frame, persons, AlertState.UPDATE, active)]
        if active.below_since_s is None:
            active.below_since_s = now
        if now - active.below_since_s + TIME_SLACK_S < self._config.end_after_s:
            return []
        ended = self._next(frame, persons, AlertState.END, active)
        self._active = None
        self._above_since = None
        return [ended]

    def _next(self, frame: Frame, persons: Detections, state: AlertState, active: _Active) -> Event:
        active.sequence += 1
        active.last_emitted_s = frame.media_time_s
        return self._event(frame, persons, state, active)

    def _event(
        self, frame: Frame, persons: Detections, state: AlertState, active: _Active
    ) -> Event:
        if len(persons):
            self._last_confidence = float(np.mean(persons.confidence))
        return Event(
            event_id=active.event_id,
            sequence=active.sequence,
            state=state,
            event_type=EventType.CROWD,
            rule_id=self._config.id,
            zone_id=self._zone.id,
            started_at=active.started_at,
            updated_at=max(frame.captured_at, active.started_at),
            media_time_s=frame.media_time_s,
            # An END frame may hold nobody: it reports the confidence of the last crowd seen.
            confidence=self._last_confidence,
            detections=persons,
            measurements=self._measurements(persons, frame.media_time_s),
        )

    def _measurements(self, persons: Detections, now_s: float) -> dict[str, float]:
        area = self._zone.relative_area
        return {
            "person_count": float(len(persons)),
            # Persons per unit of relative zone area, i.e. the count the zone would hold if it
            # covered the whole frame; comparable across zones of different sizes on one camera.
            "density": len(persons) / area if area > 0 else 0.0,
            "min_persons": float(self._config.min_persons),
            "duration_s": now_s - (self._above_since[0] if self._above_since else now_s),
        }
