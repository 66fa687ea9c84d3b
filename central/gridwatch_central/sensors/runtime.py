"""Central's sensor side, composed: registry, ingest stream and consumer, watchdog, linkage.

Built by ``CentralRuntime`` from the parts it already has (database, grid, cameras, snapshot
store, routing and review, the edge request client) once they are started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cameras.directory import CameraDirectory
from gridwatch_central.categories import CategoryMap
from gridwatch_central.clock import Clock
from gridwatch_central.config import CentralConfig, ConfigError
from gridwatch_central.grid import GridAssignment
from gridwatch_central.grid.store import GridStore
from gridwatch_central.ingest.alert_store import AlertStore
from gridwatch_central.ingest.consumer import StreamConsumer
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.ingest.progress import IngestProgress
from gridwatch_central.review import ReviewService
from gridwatch_central.routing import Router
from gridwatch_central.sensors.consumer import sensor_consumer
from gridwatch_central.sensors.directory import SensorDirectory
from gridwatch_central.sensors.ingest import PreparedBatch, SensorIngestService, SensorOutcome
from gridwatch_central.sensors.linkage import Linkage, SnapshotRequester
from gridwatch_central.sensors.registry import SensorRegistry
from gridwatch_central.sensors.types import SensorTypesConfig, load_sensor_types
from gridwatch_central.sensors.watchdog import HeartbeatWatchdog
from gridwatch_central.snapshots import SnapshotStore

log = logging.getLogger(__name__)


def load_checked_types(config: CentralConfig, categories: CategoryMap) -> SensorTypesConfig:
    """The sensor types; refuse to start if one names a category the table lacks."""
    types = load_sensor_types(config.sensors.types_file)
    known = {category.code for category in categories.categories}
    unknown = sorted(types.categories() - known)
    if unknown:
        raise ConfigError(
            f"{config.sensors.types_file}: categories missing from the category table:"
            f" {', '.join(unknown)}"
        )
    return types


@dataclass(frozen=True, slots=True)
class SensorParts:
    """What the sensor side takes from the rest of central."""

    config: CentralConfig
    types: SensorTypesConfig
    sessions: sessionmaker[Session]
    grid: GridStore
    cameras: CameraDirectory
    snapshots: SnapshotStore
    router: Router
    review: ReviewService
    registry: CollectorRegistry
    progress: IngestProgress
    clock: Clock
    requests: Callable[[], SnapshotRequester]


class SensorRuntime:
    def __init__(self, parts: SensorParts) -> None:
        config = parts.config
        self.metrics = IngestMetrics(
            parts.registry,
            prefix="gridwatch_sensor_ingest",
            messages="Sensor batches",
            items="batches",
            stream="sensors",
            progress=parts.progress,
        )
        self.directory = SensorDirectory(
            parts.sessions,
            parts.types,
            parts.cameras,
            link_radius_m=config.sensors.link_radius_m,
            refresh_s=config.geography_refresh_s,
        )
        self.registry = SensorRegistry(self.directory)
        self.linkage = Linkage(
            parts.sessions,
            self.directory,
            parts.requests,
            parts.snapshots,
            parts.clock,
            timeout_s=config.sensors.linkage_timeout_s,
            max_width=config.sensors.snapshot_max_width,
        )
        alerts = AlertStore(parts.router, parts.review)

        def locate(lat: float, lon: float) -> GridAssignment | None:
            return parts.grid.index.locate(lat, lon)

        self.ingest = SensorIngestService(
            parts.sessions,
            self.directory,
            self.metrics,
            alerts=alerts,
            locate=locate,
            topics=config.broker.topics,
            clock=parts.clock,
            on_opened=self.linkage.on_opened,
            alarms=Counter(
                "gridwatch_sensor_alarms",
                "Sensor events opened, by sensor type",
                ["sensor_type"],
                registry=parts.registry,
            ),
        )
        self.watchdog = HeartbeatWatchdog(
            parts.sessions, self.directory, alerts, parts.clock, locate
        )
        self._config = config
        self._consumer: StreamConsumer[PreparedBatch, SensorOutcome] | None = None

    def start(self, client_id: str, *, run_watchdog: bool) -> None:
        config = self._config
        self.linkage.start()
        self._consumer = sensor_consumer(
            config.broker,
            self.ingest,
            self.metrics,
            share_group=config.share_group,
            # Its own session beside the alert consumer's, stable when client_id is.
            client_id=f"{client_id}-sensors"[:64],
            session_expiry_s=config.session_expiry_s,
            batch_max=config.sensors.ingest_batch_max,
        )
        self._consumer.start(config.subscribe_timeout_s)
        if run_watchdog:
            self.watchdog.start()

    def stop(self) -> None:
        self.watchdog.stop()
        if self._consumer is not None:
            self._consumer.stop()
            self._consumer = None
        self.linkage.stop()

    @property
    def connected(self) -> bool:
        return self._consumer is not None and self._consumer.connected
