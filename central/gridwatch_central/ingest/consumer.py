"""The MQTT side of ingest: shared subscription in, broker ack and receipts out.

One mechanism for every stream (``ingest.stream``): camera alerts with ``AlertAck`` receipts
to their edge (``AlertConsumer``), sensor batches with ``SensorAck`` receipts to their gateway
(``sensors.consumer``).

paho's network thread stamps the receive time and hands each message on; a preparer thread
decodes it, appends its snapshots to a pack and looks up its grid; one storer thread takes
whatever has queued up (up to ``batch_max``) and commits it in one transaction. Three stages,
so that socket reads, file writes and database round trips (all outside the GIL) overlap. The
broker ack and the ``AlertAck`` receipt are sent only after that commit, so a crash or a
storage failure leaves the messages unacknowledged and the broker delivers them again when the
session resumes. Batching adapts to load by itself: at low rates a batch is one message (no
added latency), under load it grows and the per-transaction cost is shared.

No message can stall the stream and no outage is swallowed (``resilient``): a message that
fails anywhere is quarantined and acknowledged, an outage of the database holds the deliveries
unacknowledged until it is over. ``IngestProgress`` knows what is held, for health and metrics.
"""

from __future__ import annotations

import logging
import queue
import secrets
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import paho.mqtt.client as mqtt

from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.ingest.quarantine import Rejected
from gridwatch_central.ingest.resilient import ResilientIngest, RetryPolicy
from gridwatch_central.ingest.service import IngestOutcome, IngestService, PreparedAlert
from gridwatch_central.ingest.stream import IncomingMessage, IngestStream, OutcomeT, PreparedT
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import MAX_RECEIPTS, AlertAck, AlertReceipt
from gridwatch_contract.subscription import PersistentSession, Subscription, TopicFilter
from gridwatch_contract.topics import Topics, validate_id

log = logging.getLogger(__name__)
ReceiptT = TypeVar("ReceiptT")
OutcomeT_contra = TypeVar("OutcomeT_contra", contravariant=True)

ACK_QOS = 1
ALERT_QOS = 1
RECEIPTS_IN_FLIGHT = 1000
# How long stop() waits for the storer to finish the batch in hand.
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class _Received:
    message: IncomingMessage
    mid: int
    qos: int
    token: int  # in IngestProgress, until acknowledged


@dataclass(frozen=True, slots=True)
class _Delivery(Generic[PreparedT]):
    topic: str
    # Without the payload: a valid alert's 40 KB would otherwise live until its batch commits,
    # and allocating that much fresh memory per message (page faults) cost more CPU than
    # decoding it. A rejected one carries what its quarantine row and receipt need.
    prepared: PreparedT | Rejected
    mid: int
    qos: int
    token: int


class ReceiptSender(Protocol[OutcomeT_contra]):
    def messages(self, settled: Sequence[tuple[str, OutcomeT_contra]]) -> list[tuple[str, bytes]]:
        """The receipt messages (topic, payload) for a committed batch's (topic, outcome)s."""
        ...


class ConsumerError(RuntimeError):
    """The consumer could not get subscribed to the alert stream."""


def default_client_id() -> str:
    """Host name for the broker's log, then a random nonce: unique per process, unguessable.

    A predictable id (the host name alone, as before) let any broker account connect with it,
    which makes the broker drop this consumer and hand the newcomer its session, queued alerts
    included. The price: a restarted process starts a new session instead of resuming the old
    one. Alerts the old session held unacked are not lost: every edge keeps an alert in its
    outbox and sends it again (ack timeout, then doubling) until central's ``AlertAck``
    receipt arrives. Until the old session expires (``session_expiry_s``) Mosquitto still
    queues it a share of the stream, which is why that expiry should be short; resends then
    reach live members. A configured ``client_id`` is used as given (stable, so predictable).
    """
    return f"gridwatch-central-{socket.gethostname()[:32]}-{secrets.token_hex(6)}"


class StreamConsumer(Generic[PreparedT, OutcomeT]):
    def __init__(
        self,
        broker: BrokerConfig,
        service: IngestStream[PreparedT, OutcomeT],
        metrics: IngestMetrics,
        *,
        topic_filter: str,
        receipts: ReceiptSender[OutcomeT],
        share_group: str,
        client_id: str,
        session_expiry_s: int,
        batch_max: int = 500,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._broker = broker
        self._service = service
        self._progress = metrics.progress
        self._topics = broker.topics
        self._receipt_sender = receipts
        self._stopping = threading.Event()
        self._batch_max = batch_max
        # MQTT 5 flow control: the broker sends at most this many unacked alerts to us; the
        # rest of a backlog waits in the broker, where another member of the share group can
        # take it. Two batches: one being committed, the next one filling. It also caps the
        # throughput at receive_maximum / (receive-to-ack time), so it must not be smaller:
        # at 3000 alerts/s and ~150 ms to the ack, 450 alerts are in flight. The queue holds
        # them all, so paho's thread never blocks on it and keeps handling acks and receipts.
        self._receive_maximum = 2 * batch_max
        self._queue: queue.Queue[_Delivery[PreparedT] | None] = queue.Queue(
            maxsize=self._receive_maximum + 1
        )
        # Bounded too: should a broker send more than the receive maximum, paho's thread waits
        # here (and TCP holds the rest back in the broker) instead of central buffering the
        # whole backlog in memory.
        self._received: queue.Queue[_Received | None] = queue.Queue(
            maxsize=self._receive_maximum + 1
        )
        self._ingest: ResilientIngest[PreparedT, OutcomeT] = ResilientIngest(
            service, metrics, self._stopping, retry
        )
        self._preparer = threading.Thread(
            target=self._prepare_loop, name="ingest-preparer", daemon=True
        )
        self._storer = threading.Thread(target=self._store_loop, name="ingest-storer", daemon=True)
        # A persistent session (clean_start=False): alerts sent to a previous run of this client
        # id but never acked are delivered again when it comes back.
        self._link = Subscription(
            broker,
            client_id,
            [TopicFilter(self._topics.shared(share_group, topic_filter), ALERT_QOS)],
            self._on_message,
            name="ingest consumer",
            manual_ack=True,
            session=PersistentSession(session_expiry_s, self._receive_maximum),
        )
        # Receipts leave on a connection of their own. On the consumer's connection they would
        # starve: paho reads as many packets per loop as it has messages awaiting acks before
        # it writes once, so thousands of queued QoS 1 receipts stall behind the alert stream.
        self._receipts = make_client(broker, f"{client_id}-receipts"[:64])
        # QoS 1: paho's default of 20 in flight would cap receipts at 20 per round trip.
        self._receipts.max_inflight_messages_set(RECEIPTS_IN_FLIGHT)

    @property
    def connected(self) -> bool:
        return self._link.connected

    def start(self, timeout_s: float) -> None:
        """Connect in the background and block until the broker confirms the subscription."""
        self._storer.start()
        self._preparer.start()
        self._receipts.connect_async(
            self._broker.host, self._broker.port, keepalive=self._broker.keepalive_s
        )
        self._receipts.loop_start()
        self._link.start()
        if not self._link.wait_subscribed(timeout_s):
            self.stop()
            raise ConsumerError(self._link.failure(timeout_s))

    def stop(self) -> None:
        """Finish the batch in hand (acking it), then disconnect; queued rest is redelivered."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        _drain(self._received)
        if self._preparer.is_alive():
            self._received.put(None)
            self._preparer.join(STOP_TIMEOUT_S)
        _drain(self._queue)
        if self._storer.is_alive():
            self._queue.put(None)
            self._storer.join(STOP_TIMEOUT_S)
        self._link.stop()
        self._receipts.disconnect()
        self._receipts.loop_stop()
        self._progress.forget_all()

    def _on_message(self, message: mqtt.MQTTMessage) -> None:
        if self._stopping.is_set():
            return  # not acked: the broker delivers it again to this session or another member
        # The server clock of every deadline (the injected one), not the wall clock: the time to
        # verify and the merge window are measured against it.
        incoming = IncomingMessage(
            message.topic, bytes(message.payload), self._service.clock(), check_topic=True
        )
        token = self._progress.received()
        self._received.put(_Received(incoming, message.mid, message.qos, token))

    def _prepare_loop(self) -> None:
        while (item := self._received.get()) is not None:
            # None: stopped while the snapshot disk or the database was out; not acked.
            prepared = None if self._stopping.is_set() else self._ingest.prepare(item.message)
            if prepared is None:
                self._progress.settled(item.token)  # given back to the broker
                continue
            self._queue.put(_Delivery(item.message.topic, prepared, item.mid, item.qos, item.token))

    def _store_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._batch_max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._store(batch)
                    return
                batch.append(item)
            self._store(batch)

    def _store(self, batch: Sequence[_Delivery[PreparedT]]) -> None:
        outcomes = self._ingest.store([delivery.prepared for delivery in batch])
        settled: list[tuple[str, OutcomeT]] = []
        for delivery, outcome in zip(batch, outcomes, strict=True):
            self._progress.settled(delivery.token)
            if outcome is None:  # stopped during an outage: the broker delivers it again
                continue
            self._link.client.ack(delivery.mid, delivery.qos)
            settled.append((delivery.topic, outcome))
        for topic, payload in self._receipt_sender.messages(settled):
            self._receipts.publish(topic, payload, qos=ACK_QOS)


class AlertReceipts:
    """``AlertAck`` receipts: one message per edge per batch (chunked to the maximum)."""

    def __init__(self, topics: Topics) -> None:
        self._topics = topics

    def messages(self, settled: Sequence[tuple[str, IngestOutcome]]) -> list[tuple[str, bytes]]:
        receipts: dict[str, list[AlertReceipt]] = {}
        for topic, outcome in settled:
            addressed = self._receipt(topic, outcome)
            if addressed is not None:
                receipts.setdefault(addressed[0], []).append(addressed[1])
        return [
            (self._topics.alert_acks(edge_id), encode_message(AlertAck(receipts=chunk)))
            for edge_id, edge_receipts in receipts.items()
            for chunk in _chunks(edge_receipts, MAX_RECEIPTS)
        ]

    def _receipt(self, topic: str, outcome: IngestOutcome) -> tuple[str, AlertReceipt] | None:
        """The receipt for one message and the edge it goes to, if the message names both.

        Always the edge of the topic (the one the broker let publish there), never an edge the
        payload names: a payload naming another edge must not make central answer that edge.
        """
        edge_id = edge_id_from_topic(topic, self._topics)
        alert_id = outcome.alert_id
        if edge_id is None or alert_id is None:
            log.warning("rejected message on %s has no usable edge/alert id; no receipt", topic)
            return None
        reason = f"{outcome.code}: {outcome.reason}"[:500] if outcome.status == "rejected" else None
        return edge_id, AlertReceipt(alert_id=alert_id, status=outcome.status, reason=reason)


def _chunks(items: list[ReceiptT], size: int) -> list[list[ReceiptT]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class AlertConsumer(StreamConsumer[PreparedAlert, IngestOutcome]):
    """Camera alerts of every edge, ``AlertAck`` receipts back to each edge."""

    def __init__(
        self,
        broker: BrokerConfig,
        service: IngestService,
        metrics: IngestMetrics,
        *,
        share_group: str,
        client_id: str,
        session_expiry_s: int,
        batch_max: int = 500,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(
            broker,
            service,
            metrics,
            topic_filter=broker.topics.all_alerts(),
            receipts=AlertReceipts(broker.topics),
            share_group=share_group,
            client_id=client_id,
            session_expiry_s=session_expiry_s,
            batch_max=batch_max,
            retry=retry,
        )


def edge_id_from_topic(topic: str, topics: Topics) -> str | None:
    """``{root}/alerts/{edge_id}/{camera_id}/{event_type}`` → edge_id, if well-formed."""
    levels = topics.parse_alert(topic)
    if levels is None:
        return None
    try:
        return validate_id(levels.edge_id)
    except ValueError:
        return None


def _drain(pending: queue.Queue[_Delivery[Any] | None] | queue.Queue[_Received | None]) -> None:
    """Drop queued, unacked deliveries: the broker still owns them and will redeliver."""
    while True:
        try:
            pending.get_nowait()
        except queue.Empty:
            return
