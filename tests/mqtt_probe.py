"""A test's own MQTT 5 client that records what the real broker answered to each request.

Connect, subscribe and publish each wait for the broker's reply (CONNACK, SUBACK, PUBACK) or
for the broker closing the connection, and return its reason code, so a test asserts what
the broker decided rather than guessing from silence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_contract.broker import BrokerConfig, make_client

# Every wait is for a reply from a loopback broker (milliseconds); generous for a loaded box.
REPLY_TIMEOUT_S = 20.0


class BrokerClosedError(Exception):
    """The broker closed the connection instead of answering."""

    def __init__(self, reason: ReasonCode | None) -> None:
        super().__init__(f"disconnected by the broker: {reason}")
        self.reason = reason


class Probe:
    def __init__(self, broker: BrokerConfig, name: str = "probe") -> None:
        self._broker = broker
        self._client = make_client(broker, broker.client_id("test", name))
        # A test asserts on the first answer; paho must not retry behind its back.
        self._client.reconnect_delay_set(3600, 3600)
        self._lock = threading.Condition()
        self._connack: ReasonCode | None = None
        self._closed: ReasonCode | None = None
        self._disconnected = False
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._pubacks: dict[int, ReasonCode] = {}
        self.messages: list[mqtt.MQTTMessage] = []
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_publish = self._on_publish
        self._client.on_message = self._on_message

    def connect(self) -> ReasonCode:
        """The CONNACK's reason (``is_failure`` when refused). Raises what the TLS handshake
        or the socket raise (``ssl.SSLError``, ``OSError``)."""
        self._client.connect(self._broker.host, self._broker.port, self._broker.keepalive_s)
        self._client.loop_start()
        with self._lock:
            self._wait(lambda: self._connack is not None or self._disconnected)
            if self._connack is None:
                raise BrokerClosedError(self._closed)
            return self._connack

    def subscribe(self, topic: str) -> ReasonCode:
        """The SUBACK's reason for ``topic`` (granted QoS, or a refusal)."""
        _rc, mid = self._client.subscribe(topic, qos=1)
        with self._lock:
            self._wait(lambda: mid in self._subacks or self._disconnected)
            if mid not in self._subacks:
                raise BrokerClosedError(self._closed)
            return self._subacks[mid][0]

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> ReasonCode:
        """The PUBACK's reason (QoS 1); ``BrokerClosedError`` if the broker dropped us instead."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        with self._lock:
            self._wait(lambda: info.mid in self._pubacks or self._disconnected)
            if info.mid not in self._pubacks:
                raise BrokerClosedError(self._closed)
            return self._pubacks[info.mid]

    def wait_for_messages(self, count: int) -> list[mqtt.MQTTMessage]:
        with self._lock:
            self._wait(lambda: len(self.messages) >= count)
            return list(self.messages)

    @property
    def disconnected(self) -> bool:
        with self._lock:
            return self._disconnected

    def wait_disconnected(self) -> ReasonCode | None:
        with self._lock:
            self._wait(lambda: self._disconnected)
            return self._closed

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _wait(self, condition: Callable[[], bool]) -> None:
        if not self._lock.wait_for(condition, REPLY_TIMEOUT_S):
            raise AssertionError(f"no answer from the broker within {REPLY_TIMEOUT_S} s")

    def _on_connect(self, *args: Any) -> None:
        with self._lock:
            self._connack = args[3]
            self._lock.notify_all()

    def _on_disconnect(self, *args: Any) -> None:
        with self._lock:
            self._disconnected = True
            self._closed = args[3]
            self._lock.notify_all()

    def _on_subscribe(self, _client: Any, _userdata: Any, mid: int, codes: Any, _p: Any) -> None:
        with self._lock:
            self._subacks[mid] = list(codes)
            self._lock.notify_all()

    def _on_publish(self, _client: Any, _userdata: Any, mid: int, code: Any, _p: Any) -> None:
        with self._lock:
            self._pubacks[mid] = code
            self._lock.notify_all()

    def _on_message(self, _client: Any, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(message)
            self._lock.notify_all()
