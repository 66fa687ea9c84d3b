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
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_central.clips.service import ClipIngestService
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import encode_message

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
        self._broker = broker
        self._service = service
        self._topics = broker.topics
        self._filter = self._topics.shared(share_group, self._topics.all_clips())
        self._session_expiry_s = session_expiry_s
        self._subscribed = threading.Event()
        self._connected = False
        self._stopping = False
        self._queue: queue.Queue[_Received | None] = queue.Queue(maxsize=RECEIVE_MAXIMUM + 1)
        self._worker = threading.Thread(target=self._run, name="clip-ingest", daemon=True)
        self._client = make_client(broker, client_id, manual_ack=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    @property
    def connected(self) -> bool:
        return self._connected and self._subscribed.is_set()

    def start(self, timeout_s: float) -> None:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._session_expiry_s
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        # Resume our session: chunks sent to a previous run but never acked come again.
        self._client.connect_async(
            self._broker.host,
            self._broker.port,
            keepalive=self._broker.keepalive_s,
            clean_start=False,
            properties=properties,
        )
        self._worker.start()
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise ClipConsumerError(
                f"not subscribed to {self._filter} at {self._broker.display()} within"
                f" {timeout_s:g} s; does the broker allow this client?"
            )

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
        client.subscribe(self._filter, qos=CLIP_QOS)

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected = False
        if not self._stopping:
            log.warning(
                "clip consumer disconnected from %s; paho reconnects", self._broker.display()
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
            log.error("broker refused subscription %s: %s", self._filter, reason_codes)
            return
        self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
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
                self._client.publish(topic, encode_message(receipt.ack), qos=CLIP_QOS)
            self._client.ack(item.mid, item.qos)
