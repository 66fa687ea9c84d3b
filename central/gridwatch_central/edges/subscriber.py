"""The MQTT side of the edge monitor: every edge's status and stats, into ``EdgeMonitor``.

Every central process subscribes on its own (not in the alerts' share group): retained status
messages, which say who is online when a process starts, are never sent to shared
subscriptions, and every process must see the edges come and go. The rows they write agree
(see ``db.edge_repository``). paho's thread only queues; one thread stores, so a slow database
never holds up the broker connection, and a full queue drops stats (the next one replaces
them), never a status.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_central.edges.monitor import EdgeMessage, EdgeMonitor
from gridwatch_contract.broker import BrokerConfig, make_client

log = logging.getLogger(__name__)

STATUS_QOS = 1  # as the edge publishes it: retained, with the broker's last will
STATS_QOS = 0  # disposable: the next one comes within a stats interval
# How long stop() waits for the message in hand to be stored.
STOP_TIMEOUT_S = 10.0


class EdgeSubscriberError(RuntimeError):
    """The monitor could not get subscribed to the edges' topics."""


class EdgeSubscriber:
    def __init__(
        self, broker: BrokerConfig, monitor: EdgeMonitor, *, client_id: str, queue_size: int
    ) -> None:
        self._broker = broker
        self._monitor = monitor
        topics = broker.topics
        self._filters = [
            (topics.all_edge_status(), STATUS_QOS),
            (topics.all_edge_stats(), STATS_QOS),
        ]
        self._queue: queue.Queue[EdgeMessage | None] = queue.Queue(maxsize=queue_size)
        self._subscribed = threading.Event()
        self._connected = False
        self._stopping = False
        self._client = make_client(broker, client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message
        self._storer = threading.Thread(target=self._store_loop, name="edge-monitor", daemon=True)

    @property
    def connected(self) -> bool:
        return self._connected and self._subscribed.is_set()

    def start(self, timeout_s: float) -> None:
        """Connect in the background and block until the broker confirms the subscriptions."""
        self._storer.start()
        self._client.connect_async(
            self._broker.host, self._broker.port, keepalive=self._broker.keepalive_s
        )
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            names = ", ".join(topic for topic, _qos in self._filters)
            raise EdgeSubscriberError(
                f"not subscribed to {names} at {self._broker.display()} within {timeout_s:g} s"
            )

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()
        if self._storer.is_alive():
            self._queue.put(None)
            self._storer.join(STOP_TIMEOUT_S)
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
        # On every (re)connect: the broker sends the retained statuses again, so a central that
        # was away learns who went offline meanwhile.
        client.subscribe(self._filters)

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected = False
        if not self._stopping:
            broker = self._broker.display()
            log.warning("edge monitor disconnected from %s; paho reconnects", broker)

    def _on_subscribe(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        _mid: int,
        reason_codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            log.error("broker refused the edge monitor's subscriptions: %s", reason_codes)
            return
        self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._stopping:
            return
        received = EdgeMessage(
            topic=message.topic,
            payload=bytes(message.payload),
            retained=bool(message.retain),
            received_at=self._monitor.clock(),
        )
        if message.topic.endswith("/status"):
            self._queue.put(received)  # a status is never dropped; paho waits for room
            return
        try:
            self._queue.put_nowait(received)
        except queue.Full:
            self._monitor.metrics.dropped.inc()

    def _store_loop(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._monitor.handle(item)
            except Exception:  # handle() catches what it expects; a bug must not end the loop
                log.exception("edge monitor failed on a message from %s", item.topic)
