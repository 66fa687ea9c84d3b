"""What incidents need to know of an alert, whatever its source: an edge's camera alert or a
sensor alarm central's rules raised. Placing and merging read these facts only, so both kinds
of alert take one path into incidents, review and cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from gridwatch_contract.messages import AlertMessage

AlertSource = Literal["camera", "sensor"]


@dataclass(frozen=True, slots=True)
class AlertFacts:
    alert_id: uuid.UUID
    event_id: uuid.UUID
    source: AlertSource
    event_type: str
    # The source device: the camera, or for a sensor alert the sensor (and its gateway).
    camera_id: str
    edge_id: str
    rule_id: str
    model_name: str
    model_version: str
    confidence: float
    # Where merging measures distance from (the edge's location, or the sensor's position).
    lat: float | None
    lon: float | None

    @classmethod
    def of_message(cls, alert: AlertMessage) -> AlertFacts:
        location = alert.location
        return cls(
            alert_id=alert.alert_id,
            event_id=alert.event_id,
            source="camera",
            event_type=alert.event_type.value,
            camera_id=alert.camera_id,
            edge_id=alert.edge_id,
            rule_id=alert.rule_id,
            model_name=alert.model.name,
            model_version=alert.model.version,
            confidence=alert.confidence,
            lat=location.lat if location is not None else None,
            lon=location.lon if location is not None else None,
        )
