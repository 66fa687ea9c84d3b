"""The registered sensors as ingest needs them: gateway, type, rules, position, in memory.

Reloaded when any central process changes a sensor (checked at most every ``refresh_s``), and
at once when this process does. Linked cameras are resolved when asked (on an alarm), against
the camera directory as it is then: a camera registered after the sensor is linked too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from shapely import Point
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cameras.directory import CameraDirectory, CameraPlacement
from gridwatch_central.db import sensor_repository as sensors
from gridwatch_central.db.refreshing import Refreshing
from gridwatch_central.db.tables import SensorRow
from gridwatch_central.incidents.geo import haversine_m
from gridwatch_central.sensors.rules import SensorRules
from gridwatch_central.sensors.types import SensorType, SensorTypesConfig, Threshold

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LinkedCamera:
    camera: CameraPlacement
    how: str  # explicit / footprint / radius


@dataclass(frozen=True, slots=True)
class KnownSensor:
    id: str
    gateway_id: str
    sensor_type: str
    kind: SensorType
    threshold: Threshold | None
    rules: SensorRules
    vendor_code: str
    lat: float
    lon: float
    linked_cameras: tuple[str, ...] | None
    heartbeat_interval_s: float


def effective_threshold(kind: SensorType, override: dict[str, object] | None) -> Threshold | None:
    """The type's threshold with the sensor's overrides (``ValueError`` if they contradict)."""
    if kind.threshold is None or not override:
        return kind.threshold
    changes = {key: value for key, value in override.items() if value is not None}
    return Threshold.model_validate(kind.threshold.model_dump() | changes)


def known_sensor(row: SensorRow, types: SensorTypesConfig) -> KnownSensor | None:
    kind = types.types.get(row.sensor_type)
    if kind is None:
        return None
    threshold = effective_threshold(kind, row.threshold)
    return KnownSensor(
        id=row.id,
        gateway_id=row.gateway_id,
        sensor_type=row.sensor_type,
        kind=kind,
        threshold=threshold,
        rules=SensorRules(kind, threshold),
        vendor_code=row.vendor_code,
        lat=row.lat,
        lon=row.lon,
        linked_cameras=tuple(row.linked_cameras) if row.linked_cameras is not None else None,
        heartbeat_interval_s=row.heartbeat_interval_s or kind.heartbeat_interval_s,
    )


class SensorDirectory:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        types: SensorTypesConfig,
        cameras: CameraDirectory,
        *,
        link_radius_m: float,
        refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.types = types
        self._cameras = cameras
        self._link_radius_m = link_radius_m
        empty: dict[str, KnownSensor] = {}
        self._sensors = Refreshing(
            sessions,
            fingerprint=sensors.sensors_changed_at,
            load=self._load,
            empty=empty,
            refresh_s=refresh_s,
            clock=clock,
        )

    def get(self, sensor_id: str) -> KnownSensor | None:
        return self._sensors.get().get(sensor_id)

    def all(self) -> list[KnownSensor]:
        return list(self._sensors.get().values())

    def invalidate(self) -> None:
        self._sensors.invalidate()

    def _load(self, session: Session) -> dict[str, KnownSensor]:
        loaded: dict[str, KnownSensor] = {}
        for row in sensors.all_sensors(session):
            known = known_sensor(row, self.types)
            if known is None:  # its type left the configuration: its records quarantine
                log.warning("sensor %s has unknown type %s", row.id, row.sensor_type)
                continue
            loaded[row.id] = known
        return loaded

    def linked_cameras(self, sensor: KnownSensor) -> list[LinkedCamera]:
        """Explicit links as registered, else every camera whose calibrated footprint holds
        the sensor or which stands within the link radius."""
        cameras = self._cameras.all()
        if sensor.linked_cameras is not None:
            by_id = {camera.id: camera for camera in cameras}
            return [
                LinkedCamera(by_id[camera_id], "explicit")
                for camera_id in sensor.linked_cameras
                if camera_id in by_id
            ]
        point = Point(sensor.lon, sensor.lat)
        linked = []
        for camera in sorted(cameras, key=lambda c: c.id):
            if camera.footprint is not None and camera.footprint.covers(point):
                linked.append(LinkedCamera(camera, "footprint"))
            elif haversine_m(camera.lat, camera.lon, sensor.lat, sensor.lon) <= self._link_radius_m:
                linked.append(LinkedCamera(camera, "radius"))
        return linked
