"""Sensor events as alerts: the rows and facts that take them into incidents and cases.

A sensor alert is an ``alerts`` row with ``source = "sensor"``: ``camera_id`` names the source
device (the sensor), ``edge_id`` its gateway, ``event_type`` the sensor type (or
``sensor_offline``/``sensor_online``), ``model_name`` ``sensor`` and ``model_version`` the
vendor's device code. The edge contract (``AlertMessage``) is untouched: these alerts are
central's own, built from the rules' lifecycle messages, never sent over MQTT.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gridwatch_central.grid import GridAssignment
from gridwatch_central.incidents import AlertFacts
from gridwatch_central.ingest.alert_store import AlertToStore
from gridwatch_central.sensors.directory import KnownSensor
from gridwatch_central.sensors.rules import Emitted
from gridwatch_central.sensors.types import SENSOR_OFFLINE, SENSOR_ONLINE

HEARTBEAT_RULE = "heartbeat"
SENSOR_MODEL = "sensor"
# A measurement or a device's own alarm is not a guess: full confidence, so that auto-verify
# rules (gas: always a case) apply to every alarm of their category.
SENSOR_CONFIDENCE = 1.0

Locate = Callable[[float, float], GridAssignment | None]


@dataclass(frozen=True, slots=True)
class OpenedSensorAlert:
    """A sensor event that just opened: its cameras are asked for pictures (视频联动)."""

    alert_id: uuid.UUID
    sensor: KnownSensor
    received_at: datetime


def event_alert(
    sensor: KnownSensor, emitted: Emitted, received_at: datetime, locate: Locate
) -> AlertToStore:
    """The alert of one lifecycle message of a sensor event."""
    measurements: dict[str, float] = {}
    if emitted.value is not None:
        measurements["value"] = emitted.value
    if sensor.threshold is not None:
        measurements["alarm_level"] = sensor.threshold.alarm
    return _alert(
        sensor,
        event_type=sensor.sensor_type,
        category=sensor.kind.category,
        event_id=emitted.event_id,
        sequence=emitted.sequence,
        state=emitted.state,
        started_at=emitted.started_at,
        updated_at=emitted.updated_at,
        rule_id=emitted.rule_id,
        measurements=measurements,
        received_at=received_at,
        locate=locate,
    )


def availability_alert(
    sensor: KnownSensor,
    *,
    online: bool,
    at: datetime,
    received_at: datetime,
    category: str,
    locate: Locate,
) -> AlertToStore:
    """``sensor_offline`` (its heartbeat missed) or ``sensor_online`` (heard again)."""
    return _alert(
        sensor,
        event_type=SENSOR_ONLINE if online else SENSOR_OFFLINE,
        category=category,
        event_id=uuid.uuid4(),
        sequence=0,
        state="new",
        started_at=at,
        updated_at=at,
        rule_id=HEARTBEAT_RULE,
        measurements={"heartbeat_interval_s": sensor.heartbeat_interval_s},
        received_at=received_at,
        locate=locate,
    )


def _alert(
    sensor: KnownSensor,
    *,
    event_type: str,
    category: str,
    event_id: uuid.UUID,
    sequence: int,
    state: str,
    started_at: datetime,
    updated_at: datetime,
    rule_id: str,
    measurements: dict[str, float],
    received_at: datetime,
    locate: Locate,
) -> AlertToStore:
    facts = AlertFacts(
        alert_id=uuid.uuid4(),
        event_id=event_id,
        source="sensor",
        event_type=event_type,
        camera_id=sensor.id,
        edge_id=sensor.gateway_id,
        rule_id=rule_id,
        model_name=SENSOR_MODEL,
        model_version=sensor.vendor_code,
        confidence=SENSOR_CONFIDENCE,
        lat=sensor.lat,
        lon=sensor.lon,
    )
    grid = locate(sensor.lat, sensor.lon)
    codes = grid.codes if grid is not None else (None, None, None)
    row: dict[str, Any] = {
        "alert_id": facts.alert_id,
        "event_id": event_id,
        "sequence": sequence,
        "edge_id": sensor.gateway_id,
        "camera_id": sensor.id,
        "event_type": event_type,
        "rule_id": rule_id,
        "zone_id": None,
        "state": state,
        "started_at": started_at,
        "updated_at": updated_at,
        "received_at": received_at,
        "confidence": SENSOR_CONFIDENCE,
        "objects": [],
        "measurements": measurements,
        "lat": sensor.lat,
        "lon": sensor.lon,
        "location_source": "sensor",
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "snapshot_sha256": None,
        "clean_snapshot_sha256": None,
        "model_name": SENSOR_MODEL,
        "model_version": sensor.vendor_code,
        "source": "sensor",
        "clip_id": None,  # a clip of a linked camera is an alert link of kind clip, later
    }
    return AlertToStore(facts, received_at, None, grid, category, row)
