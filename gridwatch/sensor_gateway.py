"""A simulated sensor gateway: publishes ``SensorBatch`` messages into a real broker and
collects central's receipts, resending a batch until its receipt arrives.

Used by ``gridwatch sensors simulate``, the demo, the tests and the benchmark. A real gateway
does the same: keep every batch until central's ``SensorReceipt`` says it was stored (or is a
duplicate), and send it again after a while otherwise.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt

from gridwatch.sensor_traces import Trace
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import ContractError, decode_message, encode_message
from gridwatch_contract.sensors import SensorAck, SensorBatch, SensorReceipt, SensorRecord

BATCH_QOS = 1
# paho's default of 20 unacknowledged publishes would throttle a gateway of thousands of
# sensors to one broker round trip per 20 batches.
MAX_INFLIGHT = 1000


class GatewayError(RuntimeError):
    """The simulated gateway could not reach or subscribe on the broker."""


class SimulatedGateway:
    def __init__(self, broker: BrokerConfig, gateway_id: str) -> None:
        self.gateway_id = gateway_id
        self._topics = broker.topics
        self._broker = broker
        self._lock = threading.Lock()
        self._pending: dict[uuid.UUID, bytes] = {}
        self.receipts: dict[uuid.UUID, SensorReceipt] = {}
        self._subscribed = threading.Event()
        self._client = make_client(broker, f"gateway-{gateway_id}-{uuid.uuid4().hex[:8]}"[:64])
        self._client.max_inflight_messages_set(MAX_INFLIGHT)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def start(self, timeout_s: float = 10.0) -> None:
        self._client.connect_async(self._broker.host, self._broker.port, self._broker.keepalive_s)
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            self.close()
            raise GatewayError(f"gateway {self.gateway_id}: no broker at {self._broker.display()}")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def send(
        self, records: Sequence[SensorRecord], *, message_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        """Publish one batch (kept until its receipt arrives); its message id."""
        batch = SensorBatch(
            message_id=message_id or uuid.uuid4(),
            gateway_id=self.gateway_id,
            sent_at=datetime.now(UTC),
            records=list(records),
        )
        payload = encode_message(batch)
        with self._lock:
            self._pending[batch.message_id] = payload
        self.publish_raw(payload)
        return batch.message_id

    def publish_raw(self, payload: bytes, gateway_id: str | None = None) -> None:
        """Publish bytes as they are on a gateway's topic (tests send broken ones)."""
        topic = self._topics.sensor_batches(gateway_id or self.gateway_id)
        self._client.publish(topic, payload, qos=BATCH_QOS)

    @property
    def unanswered(self) -> int:
        with self._lock:
            return len(self._pending)

    def wait_for_receipts(self, timeout_s: float, *, resend_after_s: float = 15.0) -> bool:
        """Wait until every batch sent has its receipt, resending the others now and then;
        True when none is left unanswered."""
        deadline = time.monotonic() + timeout_s
        resend_at = time.monotonic() + resend_after_s
        while time.monotonic() < deadline:
            with self._lock:
                left = list(self._pending.values())
            if not left:
                return True
            if time.monotonic() >= resend_at:
                for payload in left:
                    self.publish_raw(payload)
                resend_at = time.monotonic() + resend_after_s
            time.sleep(0.02)
        return self.unanswered == 0

    def play(self, trace: Trace, sensor_id: str, *, speed: float = 0.0) -> list[uuid.UUID]:
        """Send a trace's records one batch each, stamped onto a base in the past so that the
        last one is now. ``speed`` 0 sends as fast as possible, 1 in real time, 10 ten times
        faster; device times (what the rules use) are the same either way."""
        base = datetime.now(UTC) - timedelta(seconds=trace.duration_s + 1)
        sent, previous = [], 0.0
        for step, record in zip(trace.steps, trace.records(sensor_id, base), strict=True):
            if speed > 0:
                time.sleep(max(0.0, step.offset_s - previous) / speed)
            previous = step.offset_s
            sent.append(self.send([record]))
        return sent

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            client.subscribe(self._topics.gateway_acks(self.gateway_id), qos=1)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _m: int, reasons: list[Any], _p: Any) -> None:
        if not any(reason.is_failure for reason in reasons):
            self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            ack = decode_message(SensorAck, bytes(message.payload))
        except ContractError:
            return
        with self._lock:
            for receipt in ack.receipts:
                self.receipts[receipt.message_id] = receipt
                self._pending.pop(receipt.message_id, None)
