"""The composition root: builds every part of central from one ``CentralConfig``."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.api import create_app
from gridwatch_central.auth.passwords import Passwords
from gridwatch_central.auth.scope import Role
from gridwatch_central.auth.service import AuthService
from gridwatch_central.auth.throttle import LoginThrottle
from gridwatch_central.auth.tokens import TokenIssuer
from gridwatch_central.cameras.directory import CameraDirectory
from gridwatch_central.cameras.seed import seed_cameras
from gridwatch_central.cameras.service import CameraService
from gridwatch_central.cameras.vault import UrlVault
from gridwatch_central.cases.service import CaseService
from gridwatch_central.categories import CategoryMap, load_category_map
from gridwatch_central.clips.access import ClipAccess
from gridwatch_central.clips.consumer import ClipConsumer
from gridwatch_central.clips.service import ClipIngestService, ClipMetrics
from gridwatch_central.clips.store import ClipPruneReport, ClipStore
from gridwatch_central.clock import Clock, utc_now
from gridwatch_central.config import AuthConfig, CentralConfig, ConfigError
from gridwatch_central.db import repository
from gridwatch_central.db.auth_repository import count_admins
from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.migrate import upgrade_to_head
from gridwatch_central.deadlines import DeadlineScheduler
from gridwatch_central.edge_requests import EdgeRequestClient, EdgeRequestMetrics
from gridwatch_central.edges.health import EdgeHealth
from gridwatch_central.edges.metrics import EdgeMonitorMetrics
from gridwatch_central.edges.monitor import EdgeMonitor
from gridwatch_central.edges.registry import EdgeRegistry
from gridwatch_central.edges.subscriber import EdgeSubscriber
from gridwatch_central.grid.locate import Locator
from gridwatch_central.grid.store import GridStore
from gridwatch_central.ingest.consumer import AlertConsumer, default_client_id
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.ingest.service import IngestService
from gridwatch_central.onboarding import Onboarding
from gridwatch_central.process import tune_garbage_collector
from gridwatch_central.retention import Retention
from gridwatch_central.review import ReviewService
from gridwatch_central.routing import Router, load_routing_config
from gridwatch_central.sensors.runtime import SensorParts, SensorRuntime, load_checked_types
from gridwatch_central.sensors.types import SensorTypesConfig
from gridwatch_central.snapshots import PruneReport, SnapshotStore

log = logging.getLogger(__name__)
ADMIN_PASSWORD_ENV = "GRIDWATCH_ADMIN_PASSWORD"
# On shutdown, open requests get this long to finish: the console's live streams never end by
# themselves, and the browsers reconnect to another process anyway.
SHUTDOWN_GRACE_S = 3


class RuntimeNotStartedError(RuntimeError):
    def __init__(self) -> None:
        super().__init__("CentralRuntime.start() has not been called (or stop() was)")


class CentralRuntime:
    """Database, grid, MQTT consumer and HTTP app of one central process."""

    def __init__(
        self,
        config: CentralConfig,
        *,
        clock: Clock = utc_now,
        run_scheduler: bool = True,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        # Where the config came from, only to tell the admin the exact command to run.
        self._config_path = config_path
        # The server clock of every deadline; tests inject one they can advance.
        self.clock = clock
        self._run_scheduler = run_scheduler
        self.router = Router(load_routing_config(config.routing_file))
        self.case_service = CaseService(self.router, clock)
        self.review = ReviewService(self.router, clock, ZoneInfo(config.timezone))
        self.registry = CollectorRegistry()
        self.ingest_metrics = IngestMetrics(self.registry)
        self.clip_metrics = ClipMetrics(self.registry)
        self.clips = ClipStore(config.clip_folder, upload_ttl_s=config.clip_upload_ttl_s)
        self.clip_access = ClipAccess(
            config.auth.jwt_secret.get_secret_value()
            if config.auth.jwt_secret is not None
            else secrets.token_urlsafe(32),
            timedelta(seconds=config.clip_link_ttl_s),
        )
        self._clip_ingest: ClipIngestService | None = None
        self._clip_consumer: ClipConsumer | None = None
        self.edge_request_metrics = EdgeRequestMetrics(self.registry)
        self._edge_requests: EdgeRequestClient | None = None
        self.edge_metrics = EdgeMonitorMetrics(self.registry)
        self.edge_health = EdgeHealth(config.edges)
        self.onboarding = Onboarding(config)
        self._edges: EdgeSubscriber | None = None
        self._snapshots: SnapshotStore | None = None
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._ingest: IngestService | None = None
        self._consumer: AlertConsumer | None = None
        self._scheduler: DeadlineScheduler | None = None
        self._app: FastAPI | None = None
        self._grid: GridStore | None = None
        self._cameras: CameraService | None = None
        self.categories: CategoryMap = load_category_map(config.categories_file)
        _check_policies_name_known_categories(config.routing_file, self.router, self.categories)
        self.sensor_types: SensorTypesConfig | None = None
        if config.sensors.enabled:
            self.sensor_types = load_checked_types(config, self.categories)
        self._sensors: SensorRuntime | None = None
        self._camera_directory: CameraDirectory | None = None
        self._auth: AuthService | None = None
        self._retention: Retention | None = None

    def start(self) -> None:
        """Migrate, load the grid, open the database and subscribe; raises on any failure."""
        config = self.config
        upgrade_to_head(config.database_url)
        self._engine = make_engine(config.database_url)
        self._sessions = make_sessions(self._engine)
        self._snapshots = SnapshotStore(
            config.snapshot_dir, self._sessions, max_pack_bytes=config.snapshot_pack_max_bytes
        )
        try:
            locator = self._start_geography()
        except BaseException:
            self._engine.dispose()
            raise
        self._ingest = IngestService(
            self._sessions,
            locator,
            self._snapshots,
            self.ingest_metrics,
            categories=self.categories,
            router=self.router,
            review=self.review,
            topics=config.broker.topics,
            max_payload_bytes=config.max_payload_bytes,
            sync_snapshots=config.snapshot_sync,
            clock=self.clock,
        )
        self._scheduler = DeadlineScheduler(
            self._sessions,
            self.case_service,
            self.clock,
            interval_s=self.router.config.scheduler_interval_s,
        )
        self._auth = _make_auth(self._sessions, config.auth)
        self._warn_if_no_admin()
        client_id = config.client_id or default_client_id()
        self._consumer = AlertConsumer(
            config.broker,
            self._ingest,
            self.ingest_metrics,
            share_group=config.share_group,
            client_id=client_id,
            session_expiry_s=config.session_expiry_s,
            batch_max=config.ingest_batch_max,
        )
        try:
            self._consumer.start(config.subscribe_timeout_s)
            self._start_clip_ingest()
            self._start_edge_requests()
            self._edges = self._start_edge_monitor(client_id)
            self.onboarding.start(self.sessions, self.camera_service, client_id)
            self._start_sensors()
        except BaseException:
            self._stop_services()
            self._engine.dispose()
            raise
        if self._run_scheduler:
            self._scheduler.start()
        self._retention = Retention(
            self._sessions,
            self._snapshots,
            self.clips,
            self.clock,
            retention_days=config.snapshot_retention_days,
            interval_s=config.snapshot_prune_interval_s,
        )
        self._retention.start()
        log.info(
            "central started: %d grid cells, broker %s",
            len(self.grid_store.index.cells),
            config.broker.display(),
        )

    def _start_clip_ingest(self) -> None:
        config = self.config
        self._clip_ingest = ClipIngestService(
            self.sessions,
            self.clips,
            self.clip_metrics,
            topics=config.broker.topics,
            max_payload_bytes=config.max_payload_bytes,
            clock=self.clock,
        )
        self._clip_consumer = ClipConsumer(
            config.broker,
            self._clip_ingest,
            share_group=config.share_group,
            # Its own random id (see default_client_id); a configured one gets a suffix.
            client_id=f"{config.client_id}-clips"[:64] if config.client_id else default_client_id(),
            session_expiry_s=config.session_expiry_s,
        )
        self._clip_consumer.start(config.subscribe_timeout_s)

    def _start_edge_requests(self) -> None:
        """The client asking edges for live snapshots, subscribed to their answers."""
        config = self.config
        # A clean session of its own per process: answers go to whoever asked, never resumed.
        client_id = f"{config.client_id or default_client_id()}-requests-{secrets.token_hex(4)}"
        self._edge_requests = EdgeRequestClient(
            config.broker,
            client_id=client_id[:64],
            metrics=self.edge_request_metrics,
            max_outstanding=config.edge_requests_max_outstanding,
            max_payload_bytes=config.max_payload_bytes,
        )
        self._edge_requests.start(config.subscribe_timeout_s)

    def _start_edge_monitor(self, client_id: str) -> EdgeSubscriber:
        """Subscribe to every edge's status and stats (see ``gridwatch_central.edges``)."""
        monitor = EdgeMonitor(
            self.sessions, self.config.broker.topics, self.edge_metrics, self.clock
        )
        subscriber = EdgeSubscriber(
            self.config.broker,
            monitor,
            client_id=f"{client_id}-edges"[:64],
            queue_size=self.config.edges.queue_size,
        )
        subscriber.start(self.config.subscribe_timeout_s)
        return subscriber

    def _warn_if_no_admin(self) -> None:
        """Nobody can create users or keys without an admin: say so, and how to make one."""
        if not self.config.auth.enabled:
            return
        with self.sessions() as session:
            admins = count_admins(session, Role.ADMIN.value)
        if admins:
            return
        config = self._config_path or "<central config>"
        log.warning(
            "no active admin user exists, so nobody can manage users or API keys. Create one:"
            " 'gridwatch central create-user --config %s admin --role admin' (asks for the"
            " password), or set %s before starting to create auth.bootstrap_admin",
            config,
            ADMIN_PASSWORD_ENV,
        )

    def _start_sensors(self) -> None:
        """Sensor registry, ingest stream, heartbeat watchdog and camera linkage."""
        if self.sensor_types is None:
            return
        assert self._camera_directory is not None  # set by _start_geography
        parts = SensorParts(
            config=self.config,
            types=self.sensor_types,
            sessions=self.sessions,
            grid=self.grid_store,
            cameras=self._camera_directory,
            snapshots=self.snapshots,
            router=self.router,
            review=self.review,
            registry=self.registry,
            progress=self.ingest_metrics.progress,
            clock=self.clock,
            requests=lambda: self.edge_requests,
        )
        self._sensors = SensorRuntime(parts)
        client_id = self.config.client_id or default_client_id()
        self._sensors.start(client_id, run_watchdog=self._run_scheduler)

    def _start_geography(self) -> Locator:
        """The grid (seeded from grid_file), the camera directory and the alert locator."""
        config, sessions = self.config, self.sessions
        refresh_s = config.geography_refresh_s
        self._grid = GridStore(sessions, config.grid_code_scheme, refresh_s=refresh_s)
        self._grid.seed_from_file(config.grid_file)
        directory = CameraDirectory(sessions, refresh_s=refresh_s)
        self._camera_directory = directory
        self._cameras = CameraService(
            directory,
            vault=UrlVault.from_config(config.onboarding.key_file),
            url_policy=config.onboarding.url_policy,
        )
        with sessions() as session:
            encrypted = self._cameras.encrypt_stored_urls(session)
        if encrypted:
            log.info("encrypted the stream URLs of %d cameras stored before encryption", encrypted)
        if config.cameras_file is not None:
            seed_cameras(config.cameras_file, sessions, self._cameras, self._grid.index)
        return Locator(self._grid, directory)

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None
        if self._retention is not None:
            self._retention.stop()
            self._retention = None
        self._stop_services()
        if self._snapshots is not None:
            self._snapshots.close()
        if self._engine is not None:
            self._engine.dispose()

    def _stop_services(self) -> None:
        """Stop what talks to the broker: sensors, edge requests, the alert consumer, the edge
        monitor."""
        if self._sensors is not None:
            self._sensors.stop()
            self._sensors = None
        if self._edge_requests is not None:
            self._edge_requests.stop()
            self._edge_requests = None
        if self._consumer is not None:
            self._consumer.stop()
            self._consumer = None
        if self._clip_consumer is not None:
            self._clip_consumer.stop()
            self._clip_consumer = None
        if self._edges is not None:
            self._edges.stop()
            self._edges = None
        self.onboarding.stop()

    @property
    def sensors(self) -> SensorRuntime:
        """The sensor side; ``RuntimeNotStartedError`` also when sensors are disabled."""
        if self._sensors is None:
            raise RuntimeNotStartedError
        return self._sensors

    @property
    def sensors_enabled(self) -> bool:
        return self._sensors is not None

    @property
    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            raise RuntimeNotStartedError
        return self._sessions

    @property
    def snapshots(self) -> SnapshotStore:
        if self._snapshots is None:
            raise RuntimeNotStartedError
        return self._snapshots

    @property
    def ingest(self) -> IngestService:
        if self._ingest is None:
            raise RuntimeNotStartedError
        return self._ingest

    @property
    def clip_ingest(self) -> ClipIngestService:
        if self._clip_ingest is None:
            raise RuntimeNotStartedError
        return self._clip_ingest

    @property
    def grid_store(self) -> GridStore:
        if self._grid is None:
            raise RuntimeNotStartedError
        return self._grid

    @property
    def camera_service(self) -> CameraService:
        if self._cameras is None:
            raise RuntimeNotStartedError
        return self._cameras

    @property
    def edge_requests(self) -> EdgeRequestClient:
        if self._edge_requests is None:
            raise RuntimeNotStartedError
        return self._edge_requests

    @property
    def scheduler(self) -> DeadlineScheduler:
        if self._scheduler is None:
            raise RuntimeNotStartedError
        return self._scheduler

    @property
    def auth(self) -> AuthService:
        if self._auth is None:
            raise RuntimeNotStartedError
        return self._auth

    @property
    def auth_enabled(self) -> bool:
        return self.config.auth.enabled

    def prune_snapshots(self) -> PruneReport:
        return self._retention_or_raise().prune_snapshots()

    def prune_clips(self) -> ClipPruneReport:
        return self._retention_or_raise().prune_clips()

    def _retention_or_raise(self) -> Retention:
        if self._retention is None:
            raise RuntimeNotStartedError
        return self._retention

    @property
    def edge_registry(self) -> EdgeRegistry:
        return self.onboarding.registry

    @property
    def edge_monitor_connected(self) -> bool:
        return self._edges is not None and self._edges.connected

    @property
    def mqtt_connected(self) -> bool:
        clips_ok = self._clip_consumer is not None and self._clip_consumer.connected
        sensors_ok = self._sensors is None or self._sensors.connected
        alerts_ok = self._consumer is not None and self._consumer.connected
        return alerts_ok and clips_ok and sensors_ok

    @property
    def ingest_stall_after_s(self) -> float:
        return self.config.ingest_stall_after_s

    @property
    def app(self) -> FastAPI:
        if self._app is None:
            self._app = create_app(
                self,
                max_request_body_bytes=self.config.max_request_body_bytes,
                console=self if self.config.console.enabled else None,
            )
        return self._app

    def summary(self) -> dict[str, int]:
        """Stored totals: ``alerts``, ``incidents``, ``cases`` and ``rejected`` (quarantined)."""
        with self.sessions() as session:
            return repository.counts(session)


def _check_policies_name_known_categories(
    routing_file: Path, router: Router, categories: CategoryMap
) -> None:
    """Routing policies and the category table are two files: refuse to start if they disagree."""
    known = {category.code for category in categories.categories}
    unknown = sorted({policy.code for policy in router.config.categories} - known)
    if unknown:
        raise ConfigError(
            f"{routing_file}: routing policies for categories missing from the category"
            f" table: {', '.join(unknown)}"
        )


def _make_auth(sessions: sessionmaker[Session], config: AuthConfig) -> AuthService:
    if config.jwt_secret is not None:
        secret = config.jwt_secret.get_secret_value()
    else:
        if config.enabled:
            log.warning(
                "auth.jwt_secret is not set: using a random key for this process only; tokens"
                " will not work on other central processes or after a restart"
            )
        secret = secrets.token_urlsafe(32)
    issuer = TokenIssuer(secret, timedelta(minutes=config.token_ttl_minutes))
    throttle = LoginThrottle(sessions, config.login_throttle)
    auth = AuthService(
        sessions,
        issuer,
        Passwords(),
        principal_cache_s=config.principal_cache_s,
        throttle=throttle,
    )
    admin = config.bootstrap_admin
    password = (
        admin.password.get_secret_value()
        if admin.password is not None
        else os.environ.get(ADMIN_PASSWORD_ENV)
    )
    if password:
        auth.ensure_bootstrap_admin(admin.username, password)
    return auth


def serve(config: CentralConfig, *, config_path: Path | None = None) -> None:
    """Run central until interrupted: start the runtime, serve HTTP, stop on the way out."""
    runtime = CentralRuntime(config, config_path=config_path)
    runtime.start()
    tune_garbage_collector()
    try:
        uvicorn.run(
            runtime.app,
            host=config.http.host,
            port=config.http.port,
            log_config=None,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
    finally:
        runtime.stop()
