"""One MQTT connection that stays subscribed: the plumbing every long-lived subscriber shares.

Central's consumers (alerts, sensor batches, clips, edge status, edge responses) each hold one
of these and keep only what is theirs: what to do with a message. The connection subscribes
again on every (re)connect, because a broker that lost our session (restarted without
persistence, session expired) must not leave us deaf; paho reconnects by itself with the
back-off ``make_client`` sets. ``connected`` is true only once the broker has confirmed the
subscriptions, which is what health checks want to know.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_contract.broker import BrokerConfig, make_client

log = logging.getLogger(__name__)

MessageHandler = Callable[[mqtt.MQTTMessage], None]


@dataclass(frozen=True, slots=True)
class TopicFilter:
    topic: str
    qos: int


@dataclass(frozen=True, slots=True)
class PersistentSession:
    """A session the broker keeps while we are away (MQTT 5 ``clean_start=False``).

    Messages sent to a previous connection of this client id but never acknowledged are
    delivered again when it comes back, for ``expiry_s`` seconds. ``receive_maximum`` is MQTT
    5 flow control: how many unacknowledged messages the broker may have in flight to us.
    """

    expiry_s: int
    receive_maximum: int


class Subscription:
    def __init__(
        self,
        broker: BrokerConfig,
        client_id: str,
        filters: Sequence[TopicFilter],
        on_message: MessageHandler,
        *,
        name: str,
        manual_ack: bool = False,
        session: PersistentSession | None = None,
    ) -> None:
        self._broker = broker
        self._filters = [(item.topic, item.qos) for item in filters]
        self._handle = on_message
        self._name = name
        self._session = session
        self._subscribed = threading.Event()
        self._connected = False
        self._stopping = False
        self._client = make_client(broker, client_id, manual_ack=manual_ack)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    @property
    def client(self) -> mqtt.Client:
        """The connection itself, for publishing and for acknowledging manually."""
        return self._client

    @property
    def connected(self) -> bool:
        return self._connected and self._subscribed.is_set()

    @property
    def topics(self) -> str:
        return ", ".join(topic for topic, _qos in self._filters)

    def start(self) -> None:
        """Connect in the background; paho retries a broker that is down."""
        properties = None
        if self._session is not None:
            # paho leaves Properties.__init__ unannotated; the call itself is what its docs show.
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self._session.expiry_s
            properties.ReceiveMaximum = self._session.receive_maximum
        self._client.connect_async(
            self._broker.host,
            self._broker.port,
            keepalive=self._broker.keepalive_s,
            clean_start=self._session is None,
            properties=properties,
        )
        self._client.loop_start()

    def wait_subscribed(self, timeout_s: float) -> bool:
        """True once the broker confirmed every subscription; False after ``timeout_s``."""
        return self._subscribed.wait(timeout_s)

    def failure(self, timeout_s: float) -> str:
        """Why ``wait_subscribed`` returned False, for the caller's error."""
        return (
            f"not subscribed to {self.topics} at {self._broker.display()} within {timeout_s:g} s;"
            " is the broker running and does it allow this client?"
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
            log.error(
                "broker %s refused the %s: %s", self._broker.display(), self._name, reason_code
            )
            return
        self._connected = True
        client.subscribe(self._filters)

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected = False
        if not self._stopping:
            log.warning(
                "%s disconnected from %s; paho reconnects", self._name, self._broker.display()
            )

    def _on_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        _mid: int,
        reason_codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error(
                "broker refused the %s's subscriptions %s: %s",
                self._name,
                self.topics,
                reason_codes,
            )
            return
        self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._handle(message)
