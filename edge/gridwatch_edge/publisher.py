"""MQTT publishing of alerts, statistics and the retained online/offline status.

paho's background thread (``loop_start``) owns the socket and reconnects with back-off;
publishing while disconnected queues the message in paho's memory until the link is back.
The durable outbox (a later issue) will take over that buffering across restarts.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import paho.mqtt.client as mqtt

from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import (
    AlertMessage,
    EdgeAvailability,
    EdgeStatsMessage,
    EdgeStatusMessage,
)

logger = logging.getLogger(__name__)

# Alerts must arrive at least once (central deduplicates by alert_id); stats are disposable.
ALERT_QOS = 1
STATS_QOS = 0
STATUS_QOS = 1
# How long close() waits for the offline status to leave before disconnecting anyway.
CLOSE_TIMEOUT_S = 3.0


class MqttPublisher:
    """Implements ``AlertSink`` and ``StatsSink`` over one MQTT 5 connection."""

    def __init__(self, broker: BrokerConfig, edge_id: str) -> None:
        self._broker = broker
        self._edge_id = edge_id
        self._topics = broker.topics
        self._software_version = _software_version()
        self._client = make_client(broker, client_id=broker.client_id("edge", edge_id))
        self._client.will_set(
            self._topics.edge_status(edge_id),
            encode_message(self._status(EdgeAvailability.OFFLINE)),
            qos=STATUS_QOS,
            retain=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._started = False
        self._connected = threading.Event()

    def start(self) -> None:
        """Connect in the background; a broker that is down now is retried by paho."""
        self._client.connect_async(self._broker.host, self._broker.port, self._broker.keepalive_s)
        self._client.loop_start()
        self._started = True

    def wait_connected(self, timeout_s: float) -> bool:
        """True once the broker accepted the connection (and the online status was sent)."""
        return self._connected.wait(timeout_s)

    def publish_alert(self, alert: AlertMessage) -> None:
        topic = self._topics.alert(alert.edge_id, alert.camera_id, alert.event_type.value)
        self._publish(topic, encode_message(alert), ALERT_QOS, retain=False)

    def publish_stats(self, stats: EdgeStatsMessage) -> None:
        self._publish(self._topics.edge_stats(self._edge_id), encode_message(stats), STATS_QOS)

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        if not self._started:
            return
        info = self._publish_status(EdgeAvailability.OFFLINE)
        deadline = time.monotonic() + timeout_s
        while not info.is_published() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._started = False
        self._client.disconnect()
        self._client.loop_stop()

    def _publish(
        self, topic: str, payload: bytes, qos: int, *, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            logger.error("publishing to %s failed: %s", topic, mqtt.error_string(info.rc))
        return info

    def _publish_status(self, state: EdgeAvailability) -> mqtt.MQTTMessageInfo:
        payload = encode_message(self._status(state))
        topic = self._topics.edge_status(self._edge_id)
        return self._publish(topic, payload, STATUS_QOS, retain=True)

    def _status(self, state: EdgeAvailability) -> EdgeStatusMessage:
        return EdgeStatusMessage(
            edge_id=self._edge_id,
            state=state,
            at=datetime.now(UTC),
            software_version=self._software_version,
        )

    def _on_connect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if reason.is_failure:
            logger.error("broker %s refused the connection: %s", self._broker.display(), reason)
            return
        logger.info("connected to %s", self._broker.display())
        self._publish_status(EdgeAvailability.ONLINE)
        self._connected.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        self._connected.clear()
        # A disconnect we asked for in close() is routine; any other one is worth a warning.
        level = logging.WARNING if self._started else logging.INFO
        logger.log(level, "disconnected from %s: %s", self._broker.display(), reason)


def _software_version() -> str:
    try:
        return metadata.version("gridwatch")
    except metadata.PackageNotFoundError:  # running from a source tree without installing
        return "unknown"
