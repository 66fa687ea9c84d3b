"""Every change of a registered edge's cameras publishes that edge's whole config, retained.

The change and a new revision are committed together (``bump_revision`` marks the edge
dirty); right after the commit the config is built from the database and published retained
with QoS 1 on the edge's config topic, and the dirty mark cleared. Publishing holds the edge
row locked, so two central processes publishing for one edge do it in revision order and the
retained message is always the newest revision. Whatever could not be published (broker
away) stays dirty and is retried every ``republish_interval_s``.

An edge that was offline gets the retained newest revision when it reconnects.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cameras.models import CameraAnalysis
from gridwatch_central.cameras.vault import CameraKeyError, UrlVault
from gridwatch_central.db import edge_config_repository as repo
from gridwatch_central.db.tables import CameraRow
from gridwatch_central.periodic import PeriodicTask
from gridwatch_contract.broker import BrokerConfig, BrokerConfigError, make_client
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import EdgeConfigMessage

log = logging.getLogger(__name__)

# The edge must get the config even if it connects later: retained, at least once.
CONFIG_QOS = 1
# The broker acknowledges a QoS 1 publish within milliseconds on a LAN; 5 s means it is away
# (the change stays dirty and is retried).
PUBLISH_TIMEOUT_S = 5.0


def camera_document(row: CameraRow, url: str) -> dict[str, Any]:
    """The camera as the edge's config names it (validated by the shared models)."""
    analysis = CameraAnalysis.model_validate(row.analysis or {})
    config = analysis.camera_config(
        camera_id=row.id, url=url, location={"lat": row.lat, "lon": row.lon}
    )
    return config.model_dump(mode="json", exclude_defaults=True)


def stream_url(row: CameraRow, vault: UrlVault) -> str:
    """The URL with credentials: encrypted, or plain in a row older than encryption."""
    return vault.decrypt(row.url_encrypted) if row.url_encrypted is not None else row.rtsp_url


class ConfigPublisher:
    def __init__(
        self,
        broker: BrokerConfig,
        sessions: sessionmaker[Session],
        vault: UrlVault,
        *,
        client_id: str,
        republish_interval_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._broker = broker
        self._sessions = sessions
        self._vault = vault
        self._topics = broker.topics
        self._clock = clock
        self._client = make_client(broker, client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        # What could not be published (broker away, another process holding the row) is
        # retried every interval, and within one interval of a reconnect.
        self._retries = PeriodicTask(
            "config-push", republish_interval_s, self.publish_dirty, run_at_start=False
        )
        self._connected = threading.Event()

    def start(self) -> None:
        try:
            self._client.connect_async(
                self._broker.host, self._broker.port, self._broker.keepalive_s
            )
        except (OSError, BrokerConfigError) as error:
            log.error("config publisher cannot reach %s: %s", self._broker.display(), error)
        self._client.loop_start()
        self._retries.start()

    def stop(self) -> None:
        self._retries.stop()
        self._client.disconnect()
        self._client.loop_stop()

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def publish(self, edge_ids: Iterable[str]) -> None:
        """Publish the dirty configs of these edges now (after the commit of a change)."""
        for edge_id in sorted(set(edge_ids)):
            self._publish_one(edge_id)

    def clear(self, edge_id: str) -> None:
        """Remove the edge's retained config (it was unregistered): a box restarting with
        that id then waits instead of running the last cameras central sent it."""
        info = self._client.publish(
            self._topics.edge_config(edge_id), b"", qos=CONFIG_QOS, retain=True
        )
        if not _delivered(info):
            log.warning("the retained config of edge %s could not be cleared", edge_id)

    def publish_dirty(self) -> None:
        with self._sessions() as session:
            dirty = repo.dirty_edges(session)
        self.publish(dirty)

    def _publish_one(self, edge_id: str) -> bool:
        if not self._connected.is_set():
            return False
        with self._sessions() as session:
            edge = repo.lock_edge(session, edge_id)
            # Only edges in the registry take their cameras from central; an edge central
            # merely heard of keeps the cameras of its own YAML (it stays dirty, so
            # registering it publishes everything at once).
            if edge is None or not edge.config_dirty or not edge.registered:
                return True
            revision = edge.config_revision
            message = self._message(session, edge_id, revision)
            if message is None:
                return False
            info = self._client.publish(
                self._topics.edge_config(edge_id),
                encode_message(message),
                qos=CONFIG_QOS,
                retain=True,
            )
            if not _delivered(info):
                log.warning("config revision %d of edge %s not published yet", revision, edge_id)
                return False
            repo.mark_published(session, edge, revision, self._clock())
            session.commit()
        # Never the cameras' URLs: they carry credentials.
        log.info(
            "published config revision %d of edge %s (%d cameras)",
            revision,
            edge_id,
            len(message.cameras),
        )
        return True

    def _message(self, session: Session, edge_id: str, revision: int) -> EdgeConfigMessage | None:
        """The edge's config now, or None (logged) when it cannot be built."""
        try:
            cameras = [
                camera_document(row, stream_url(row, self._vault))
                for row in repo.enabled_cameras(session, edge_id)
            ]
        except CameraKeyError as error:
            log.error("config of edge %s not published: %s", edge_id, error)
            return None
        try:
            return EdgeConfigMessage(
                edge_id=edge_id, revision=revision, issued_at=self._clock(), cameras=cameras
            )
        except ValidationError:
            # More cameras than one config carries (the contract's bound): the edge keeps its
            # previous config until some are moved or disabled.
            log.error("config of edge %s not published: %d cameras", edge_id, len(cameras))
            return None

    def _on_connect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker %s refused the config publisher: %s", self._broker.display(), reason)
            return
        self._connected.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected.clear()


def _delivered(info: mqtt.MQTTMessageInfo) -> bool:
    if info.rc != mqtt.MQTT_ERR_SUCCESS:
        return False
    try:
        info.wait_for_publish(PUBLISH_TIMEOUT_S)
    except (RuntimeError, ValueError):
        return False
    return info.is_published()
