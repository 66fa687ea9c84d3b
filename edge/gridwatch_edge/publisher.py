"""MQTT publishing of alerts through the durable outbox, of statistics and of the status.

An alert is committed to the outbox (``OutboxStore``) before anything else; a sender thread
publishes pending alerts (at most ``in_flight_per_camera`` per camera at a time, in enqueue
order) and an alert leaves the outbox only when central's ``AlertAck`` for its ``alert_id``
arrives on the edge's ack topic. A broker ``PUBACK`` proves nothing: Mosquitto keeps queued
messages in memory and loses them on ``kill -9``. Unacked alerts are sent again after a timeout
(doubling) and on every reconnect, and at start pending ones from a previous run go out first.

paho's background thread (``loop_start``) owns the socket and reconnects with back-off.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import ContractError, decode_message, encode_alert, encode_message
from gridwatch_contract.messages import (
    AlertAck,
    AlertMessage,
    AlertReceipt,
    ConfigReport,
    EdgeAvailability,
    EdgeStatsMessage,
    EdgeStatusMessage,
)
from gridwatch_edge.alerts import with_snapshots
from gridwatch_edge.config import EdgeConfig, OutboxConfig
from gridwatch_edge.outbox import OutboxError, OutboxStore, ResendPolicy, ResendSchedule

logger = logging.getLogger(__name__)

# Alerts must arrive at least once (central deduplicates by alert_id); stats are disposable.
ALERT_QOS = 1
ACK_QOS = 1
STATS_QOS = 0
STATUS_QOS = 1
# How long close() waits for the offline status to leave before disconnecting anyway.
CLOSE_TIMEOUT_S = 3.0
# The sender wakes at least this often (new alerts and acks wake it at once): it checks ack
# deadlines and the TTL. 1 s is far below any sensible ack timeout.
SENDER_TICK_S = 1.0
# How often drain() looks at the outbox depth.
DRAIN_POLL_S = 0.05


class Channel(Protocol):
    """Another conversation on the edge's one connection (the clip sender): its topic is
    subscribed on every connect, and its messages are handed to it."""

    @property
    def topic(self) -> str: ...

    def on_connect(self) -> None: ...

    def on_message(self, payload: bytes) -> None: ...


class MqttPublisher:
    """Implements ``AlertSink`` (through the outbox) and ``StatsSink`` over one MQTT 5 link."""

    def __init__(
        self,
        broker: BrokerConfig,
        edge_id: str,
        outbox: OutboxStore,
        *,
        settings: OutboxConfig,
        max_payload_bytes: int,
    ) -> None:
        self._broker = broker
        self._edge_id = edge_id
        self._topics = broker.topics
        self._acks_topic = self._topics.alert_acks(edge_id)
        self._outbox = outbox
        self._in_flight_per_camera = settings.in_flight_per_camera
        self._schedule = ResendSchedule(
            ResendPolicy(settings.ack_timeout_s, settings.max_resend_interval_s)
        )
        self._max_payload_bytes = max_payload_bytes
        self._software_version = _software_version()
        self._config_report: ConfigReport | None = None
        self._client = make_client(broker, client_id=broker.client_id("edge", edge_id))
        self._client.will_set(
            self._topics.edge_status(edge_id),
            encode_message(self._status(EdgeAvailability.OFFLINE)),
            qos=STATUS_QOS,
            retain=True,
        )
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish
        self._client.on_subscribe = self._on_subscribe
        self._started = False
        self._channels: dict[str, Channel] = {}
        self._connected = threading.Event()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._sender = threading.Thread(target=self._send_loop, name="outbox-sender", daemon=True)

    @classmethod
    def for_edge(cls, config: EdgeConfig, outbox: OutboxStore) -> MqttPublisher:
        """The publisher of the box ``config`` describes, delivering through ``outbox``."""
        return cls(
            config.broker,
            config.edge_id,
            outbox,
            settings=config.outbox,
            max_payload_bytes=config.alert_payload_max_bytes,
        )

    def start(self) -> None:
        """Connect in the background; a broker that is down now is retried by paho."""
        self._client.connect_async(self._broker.host, self._broker.port, self._broker.keepalive_s)
        self._client.loop_start()
        self._sender.start()
        self._started = True

    def attach(self, channel: Channel) -> None:
        """Route ``channel.topic`` to ``channel``; call before ``start``."""
        self._channels[channel.topic] = channel

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def send(self, topic: str, payload: bytes, qos: int) -> bool:
        """Publish for a channel; False when not connected (the channel retries later)."""
        info = self._client.publish(topic, payload, qos=qos)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def wait_connected(self, timeout_s: float) -> bool:
        """True once the broker accepted the connection (and the online status was sent)."""
        return self._connected.wait(timeout_s)

    def publish_alert(self, alert: AlertMessage) -> None:
        """Commit ``alert`` to the outbox; the sender thread publishes it."""
        payload = self._fitting_payload(alert)
        if payload is None:
            return
        topic = self._topics.alert(alert.edge_id, alert.camera_id, alert.event_type.value)
        try:
            self._outbox.add(alert.alert_id, alert.camera_id, topic, payload)
        except OutboxError:
            self._outbox.count_dropped("unwritable")
            logger.exception("alert %s could not be written to the outbox; lost", alert.alert_id)
            return
        self._wake.set()

    def publish_stats(self, stats: EdgeStatsMessage) -> None:
        stats = stats.model_copy(update={"outbox_depth": self._outbox.depth()})
        self._publish(self._topics.edge_stats(self._edge_id), encode_message(stats), STATS_QOS)

    @property
    def resends(self) -> int:
        """Publishes of an alert this process had already published (timeouts, reconnects)."""
        return self._schedule.resends

    def drain(self, timeout_s: float) -> bool:
        """Wait until every pending alert is acknowledged; False if some are left."""
        deadline = time.monotonic() + timeout_s
        while self._outbox.depth() > 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(DRAIN_POLL_S)
        return True

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        if not self._started:
            return
        self._closing.set()
        self._wake.set()
        self._sender.join()
        info = self._publish_status(EdgeAvailability.OFFLINE)
        deadline = time.monotonic() + timeout_s
        while not info.is_published() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._started = False
        self._client.disconnect()
        self._client.loop_stop()

    def _fitting_payload(self, alert: AlertMessage) -> bytes | None:
        """The framed alert, without its snapshots if it would exceed the packet limit.

        The pipeline sizes snapshots already; this guard keeps one oversized message (which
        the broker would refuse, and paho resend forever) from ever entering the outbox.
        """
        payload = encode_alert(alert)
        if len(payload) <= self._max_payload_bytes:
            return payload
        slim = encode_alert(with_snapshots(alert, None, None))
        if len(slim) <= self._max_payload_bytes:
            logger.warning(
                "alert %s is %d bytes, over the %d-byte limit: sent without snapshots",
                alert.alert_id,
                len(payload),
                self._max_payload_bytes,
            )
            return slim
        self._outbox.count_dropped("too_large")
        logger.error(
            "alert %s is %d bytes even without snapshots, over the %d-byte limit: dropped",
            alert.alert_id,
            len(slim),
            self._max_payload_bytes,
        )
        return None

    def _send_loop(self) -> None:
        """Publish due alerts whenever woken (new alert, ack, reconnect) or a deadline passes."""
        while not self._closing.is_set():
            self._wake.clear()
            try:
                self._outbox.expire()
                if self._connected.is_set():
                    self._send_due()
            except Exception:  # a failing disk must not end delivery for good
                logger.exception("outbox sender failed; retrying")
            next_due = self._schedule.next_due_in()
            self._wake.wait(SENDER_TICK_S if next_due is None else min(next_due, SENDER_TICK_S))

    def _send_due(self) -> None:
        for entry in self._schedule.due(self._outbox.heads(self._in_flight_per_camera)):
            payload = self._outbox.payload(entry.seq)
            if payload is None:  # acked or dropped since heads() read it
                continue
            info = self._client.publish(entry.topic, payload, qos=ALERT_QOS)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                # Disconnected meanwhile: the reconnect makes everything due again.
                logger.info("alert %s not sent: %s", entry.alert_id, mqtt.error_string(info.rc))
                return
            self._schedule.sent(entry)
            self._outbox.record_attempt(entry.seq)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        channel = self._channels.get(message.topic)
        if channel is not None:
            channel.on_message(bytes(message.payload))
            return
        if message.topic != self._acks_topic:
            return
        try:
            ack = decode_message(AlertAck, bytes(message.payload))
        except ContractError as error:
            logger.warning("ignoring an invalid ack on %s: %s", message.topic, error)
            return
        for receipt in ack.receipts:
            self._settle(receipt)
        self._wake.set()

    def _settle(self, receipt: AlertReceipt) -> None:
        """The alert leaves the outbox as central's receipt says."""
        try:
            left = self._outbox.ack(receipt.alert_id, receipt.status)
        except OutboxError:
            logger.exception("could not record the ack of %s; it will be resent", receipt.alert_id)
            return
        self._schedule.acked(receipt.alert_id)
        if receipt.status == "rejected" and left:
            logger.error(
                "central rejected alert %s (%s); dropped", receipt.alert_id, receipt.reason
            )

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

    def report_config(self, report: ConfigReport) -> None:
        """Tell central what became of its config: the online status, retained, now carries
        ``report`` (and every later one, until the next report)."""
        self._config_report = report
        if self.connected:
            self._publish_status(EdgeAvailability.ONLINE)

    def _status(self, state: EdgeAvailability) -> EdgeStatusMessage:
        # The last will is set before any config arrives: only "online" carries the report,
        # and a status without one leaves central's record of it as it was.
        report = self._config_report
        return EdgeStatusMessage(
            edge_id=self._edge_id,
            state=state,
            at=datetime.now(UTC),
            software_version=self._software_version,
            config=report if state is EdgeAvailability.ONLINE else None,
        )

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if reason.is_failure:
            logger.error("broker %s refused the connection: %s", self._broker.display(), reason)
            return
        logger.info("connected to %s", self._broker.display())
        # Subscribed before any alert goes out on this connection (the broker handles one
        # client's packets in order), so no ack can be missed.
        client.subscribe(self._acks_topic, qos=ACK_QOS)
        for topic in self._channels:
            client.subscribe(topic, qos=ACK_QOS)
        self._publish_status(EdgeAvailability.ONLINE)
        self._schedule.reconnected()
        self._connected.set()
        self._wake.set()
        for channel in self._channels.values():
            channel.on_connect()

    def _on_publish(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reason: Any, _properties: Any
    ) -> None:
        # A broker with per-edge accounts refuses topics that are not this box's: say so, the
        # alert itself stays in the outbox and is sent again.
        if reason.is_failure:
            logger.error(
                "broker %s refused a message of edge %s: %s; does this box's broker account"
                " belong to this edge_id?",
                self._broker.display(),
                self._edge_id,
                reason,
            )

    def _on_subscribe(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _properties: Any
    ) -> None:
        if any(reason.is_failure for reason in reasons):
            logger.error(
                "broker %s refused this edge's ack topic %s: %s; no alert will ever be acked",
                self._broker.display(),
                self._acks_topic,
                reasons[0],
            )

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
