"""The rule protocol, what rules share, and building a camera's rules from its config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
import numpy.typing as npt

from gridwatch_contract.messages import EventType
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.rules.lifecycle import Step
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.tracking import Track


class Rule(Protocol):
    @property
    def rule_id(self) -> str: ...

    def overlays(self, width: int, height: int) -> list[npt.NDArray[np.int32]]:
        """Pixel polylines (zones, lines) drawn on this rule's annotated snapshots."""
        ...

    def update(self, frame: Frame, detections: Detections) -> list[Event]:
        """Feed one analysed frame; return the events this frame starts, updates or ends."""
        ...

    def finish(self, frame: Frame) -> list[Event]:
        """The stream ended (end of file, shutdown) after ``frame``: what must still be said."""
        ...


class TrackLookup(Protocol):
    """What rules may ask the tracker: a confirmed track by its id, or all of them."""

    def get(self, tracker_id: int) -> Track | None: ...

    @property
    def active(self) -> list[Track]: ...


def make_event(
    step: Step,
    *,
    event_type: EventType,
    rule_id: str,
    zone_id: str | None,
    frame: Frame,
    objects: Detections,
    confidence: float,
    measurements: Mapping[str, float],
) -> Event:
    return Event(
        event_id=step.event.event_id,
        sequence=step.event.sequence,
        state=step.state,
        event_type=event_type,
        rule_id=rule_id,
        zone_id=zone_id,
        started_at=step.event.started_at,
        updated_at=max(frame.captured_at, step.event.started_at),
        media_time_s=frame.media_time_s,
        confidence=confidence,
        detections=objects,
        measurements=dict(measurements),
    )


class ConfidenceMemory:
    """The mean score of the objects last involved: an ``end`` frame may hold none of them."""

    def __init__(self) -> None:
        self.value = 0.0

    def of(self, objects: Detections) -> float:
        if len(objects):
            self.value = float(np.mean(objects.confidence))
        return self.value
