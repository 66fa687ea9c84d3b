"""The MQTT side of clip uploads: a shared subscription to every edge's clip topics.

One thread handles the messages in arrival order (chunks are few and each is an fsync, not a
database batch). The broker ack and the ``ClipAck`` are sent only once the chunk is on disk
(or the clip filed), so a crash leaves the message unacknowledged and the broker delivers it
again; the edge resends what was never answered. Several central processes in one share group
split the stream; a clip's chunks may land on different processes, which is why the store
writes each chunk at its offset in a folder they share.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from gridwatch_central.clips.service import ClipIngestService
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_message
from gridwatch_contract.subscription import PersistentSession, Subscription, TopicFilter

log = logging.getLogger(__name__)

CLIP_QOS = 1
# Chunks the broker may have in flight to us: each is up to a packet (256 KiB by default), so
# 16 bound the memory, and the edges' stop-and-wait sends at most one per edge anyway.
RECEIVE_MAXIMUM = 16
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class _Received:
    topic: str
    payload: bytes
    mid: int
    qos: int


class ClipConsumerError(RuntimeError):
    """The consumer could not get subscribed to the clip topics."""


class ClipConsumer:
    def __init__(
        self,
        broker: BrokerConfig,
        service: ClipIngestService,
        *,
        share_group: str,
        client_id: str,
        session_expiry_s: int,
    ) -> None:
        self._service = service
        self._topics = broker.topics
        self._stopping = False
        self._queue: queue.Queue[_Received | None] = queue.Queue(maxsize=RECEIVE_MAXIMUM + 1)
        self._worker = threading.Thread(target=self._run, name="clip-ingest", daemon=True)
        # A persistent session: chunks sent to a previous run but never acked come again.
        self._link = Subscription(
            broker,
            client_id,
            [TopicFilter(self._topics.shared(share_group, self._topics.all_clips()), CLIP_QOS)],
            self._on_message,
            name="clip consumer",
            manual_ack=True,
            session=PersistentSession(session_expiry_s, RECEIVE_MAXIMUM),
        )

    @property
    def connected(self) -> bool:
        return self._link.connected

    def start(self, timeout_s: float) -> None:
        self._worker.start()
        self._link.start()
        if not self._link.wait_subscribed(timeout_s):
            self.stop()
            raise ClipConsumerError(self._link.failure(timeout_s))

    def stop(self) -> None:
        """Finish the message in hand; queued ones are not acked and come again."""
        if self._stopping:
            return
        self._stopping = True
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(STOP_TIMEOUT_S)
        self._link.stop()

    def _on_message(self, message: mqtt.MQTTMessage) -> None:
        if self._stopping:
            return  # not acked: delivered again
        self._queue.put(_Received(message.topic, bytes(message.payload), message.mid, message.qos))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._stopping:
                continue
            try:
                receipt = self._service.handle(item.topic, item.payload)
            except Exception:  # disk full, database down: not acked, delivered again later
                log.exception("could not handle clip message on %s; not acked", item.topic)
                continue
            if receipt is not None:
                topic = self._topics.clip_acks(receipt.edge_id)
                self._link.client.publish(topic, encode_message(receipt.ack), qos=CLIP_QOS)
            self._link.client.ack(item.mid, item.qos)
