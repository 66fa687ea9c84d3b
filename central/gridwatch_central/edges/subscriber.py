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

import paho.mqtt.client as mqtt

from gridwatch_central.edges.monitor import EdgeMessage, EdgeMonitor
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.subscription import Subscription, TopicFilter

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
        self._monitor = monitor
        topics = broker.topics
        # On every (re)connect the broker sends the retained statuses again, so a central that
        # was away learns who went offline meanwhile.
        filters = [
            TopicFilter(topics.all_edge_status(), STATUS_QOS),
            TopicFilter(topics.all_edge_stats(), STATS_QOS),
        ]
        self._queue: queue.Queue[EdgeMessage | None] = queue.Queue(maxsize=queue_size)
        self._stopping = False
        self._link = Subscription(broker, client_id, filters, self._on_message, name="edge monitor")
        self._storer = threading.Thread(target=self._store_loop, name="edge-monitor", daemon=True)

    @property
    def connected(self) -> bool:
        return self._link.connected

    def start(self, timeout_s: float) -> None:
        """Connect in the background and block until the broker confirms the subscriptions."""
        self._storer.start()
        self._link.start()
        if not self._link.wait_subscribed(timeout_s):
            self.stop()
            raise EdgeSubscriberError(self._link.failure(timeout_s))

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self._link.stop()
        if self._storer.is_alive():
            self._queue.put(None)
            self._storer.join(STOP_TIMEOUT_S)

    def _on_message(self, message: mqtt.MQTTMessage) -> None:
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
