"""The MQTT side of ingest: shared subscription in, broker ack and ``AlertAck`` out.

Messages are handled one at a time on paho's network thread; the broker ack is sent only after
the service has committed (or quarantined) the message, so a crash or a storage failure leaves
the message unacknowledged and the broker delivers it again when the session resumes.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_central.ingest.service import IngestOutcome, IngestService
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import AlertAck
from gridwatch_contract.topics import validate_id

log = logging.getLogger(__name__)

ACK_QOS = 1
ALERT_QOS = 1


class ConsumerError(RuntimeError):
    """The consumer could not get subscribed to the alert stream."""


def default_client_id() -> str:
    return f"gridwatch-central-{socket.gethostname()}"[:64]


class AlertConsumer:
    def __init__(
        self,
        broker: BrokerConfig,
        service: IngestService,
        *,
        share_group: str,
        client_id: str,
        session_expiry_s: int,
    ) -> None:
        self._broker = broker
        self._service = service
        self._topics = broker.topics
        self._filter = self._topics.shared(share_group, self._topics.all_alerts())
        self._session_expiry_s = session_expiry_s
        self._subscribed = threading.Event()
        self._connected = False
        self._stopping = False
        self._client = make_client(broker, client_id, manual_ack=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    @property
    def connected(self) -> bool:
        return self._connected and self._subscribed.is_set()

    def start(self, timeout_s: float) -> None:
        """Connect in the background and block until the broker confirms the subscription."""
        # paho leaves Properties.__init__ unannotated; the call itself is what its docs show.
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._session_expiry_s
        # clean_start=False: resume our session, so alerts sent to a previous run of this
        # client id but never acked are delivered again.
        self._client.connect_async(
            self._broker.host,
            self._broker.port,
            keepalive=self._broker.keepalive_s,
            clean_start=False,
            properties=properties,
        )
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise ConsumerError(
                f"not subscribed to {self._filter} at {self._broker.display()} within"
                f" {timeout_s:g} s; is the broker running and does it allow this client?"
            )

    def stop(self) -> None:
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        self._connected = False

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _flags: Any,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused the connection: %s", self._broker.display(), reason_code)
            return
        self._connected = True
        # Subscribe on every (re)connect: a broker that lost our session must not leave us deaf.
        client.subscribe(self._filter, qos=ALERT_QOS)

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected = False
        if self._stopping:
            return
        log.warning("disconnected from broker %s; paho reconnects", self._broker.display())

    def _on_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        _mid: int,
        reason_codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("broker refused subscription %s: %s", self._filter, reason_codes)
            return
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            outcome = self._service.handle(message.topic, bytes(message.payload))
        except Exception:
            # Storage failed (database down, disk full, or a bug). Withhold the broker ack so the
            # message is delivered again, and keep paho's thread alive for the next one.
            log.exception(
                "could not store message %s from %s; not acked", message.mid, message.topic
            )
            return
        client.ack(message.mid, message.qos)
        self._send_receipt(client, message, outcome)

    def _send_receipt(
        self, client: mqtt.Client, message: mqtt.MQTTMessage, outcome: IngestOutcome
    ) -> None:
        edge_id = outcome.edge_id or edge_id_from_topic(message.topic, self._topics.root)
        alert_id = outcome.alert_id or _alert_id_from_raw(bytes(message.payload))
        if edge_id is None or alert_id is None:
            log.warning(
                "rejected message on %s has no usable edge/alert id; no receipt", message.topic
            )
            return
        reason = f"{outcome.code}: {outcome.reason}"[:500] if outcome.status == "rejected" else None
        receipt = AlertAck(alert_id=alert_id, status=outcome.status, reason=reason)
        client.publish(self._topics.alert_acks(edge_id), encode_message(receipt), qos=ACK_QOS)


def edge_id_from_topic(topic: str, root: str) -> str | None:
    """``{root}/alerts/{edge_id}/{camera_id}/{event_type}`` → edge_id, if well-formed."""
    levels = topic.removeprefix(f"{root}/").split("/")
    if topic.startswith(f"{root}/") and len(levels) == 4 and levels[0] == "alerts":
        try:
            return validate_id(levels[1])
        except ValueError:
            return None
    return None


def _alert_id_from_raw(payload: bytes) -> uuid.UUID | None:
    """Best effort: the ``alert_id`` of an invalid alert, so its sender can stop retrying."""
    try:
        document = json.loads(payload)
        return uuid.UUID(str(document["alert_id"]))
    except (ValueError, TypeError, KeyError):
        return None
