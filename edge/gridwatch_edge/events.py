"""What a rule reports: one step (new/update/end) of the lifecycle of a real-world event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from gridwatch_contract.messages import AlertState, EventType
from gridwatch_edge.detections import Detections


@dataclass(frozen=True, slots=True, eq=False)
class Event:
    event_id: UUID  # shared by every step of one event
    sequence: int  # 0 for NEW, +1 per later step
    state: AlertState
    event_type: EventType
    rule_id: str
    zone_id: str | None
    started_at: datetime
    updated_at: datetime
    media_time_s: float
    confidence: float
    detections: Detections  # the objects involved, in pixels of the frame
    measurements: dict[str, float] = field(default_factory=dict)
