"""Sensor batches over MQTT: the ingest pipeline's consumer, ``SensorAck`` receipts back.

Everything but the topic and the receipts is ``ingest.consumer.StreamConsumer``: the same
shared subscription, three stages, outage hold, quarantine and progress as camera alerts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gridwatch_central.ingest.consumer import StreamConsumer
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.ingest.resilient import RetryPolicy
from gridwatch_central.sensors.ingest import PreparedBatch, SensorIngestService, SensorOutcome
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_message
from gridwatch_contract.sensors import MAX_SENSOR_RECEIPTS, SensorAck, SensorReceipt
from gridwatch_contract.topics import Topics, validate_id

log = logging.getLogger(__name__)


def receipt_of(outcome: SensorOutcome) -> SensorReceipt | None:
    """The gateway's receipt for one batch; None when its id could not be read."""
    if outcome.message_id is None:
        return None
    reason = outcome.reason
    if outcome.status == "rejected":
        reason = f"{outcome.code}: {outcome.reason}"[:500]
    return SensorReceipt(
        message_id=outcome.message_id,
        status=outcome.status,
        rejected_records=outcome.rejected_records,
        reason=reason,
    )


class SensorReceipts:
    """One ``SensorAck`` per gateway per stored run of batches, to the gateway of the topic
    (the one the broker let publish there), never one a payload names."""

    def __init__(self, topics: Topics) -> None:
        self._topics = topics

    def messages(self, settled: Sequence[tuple[str, SensorOutcome]]) -> list[tuple[str, bytes]]:
        receipts: dict[str, list[SensorReceipt]] = {}
        for topic, outcome in settled:
            gateway_id = self._gateway(topic)
            receipt = receipt_of(outcome)
            if gateway_id is None or receipt is None:
                log.warning("sensor batch on %s: no usable gateway/message id; no receipt", topic)
                continue
            receipts.setdefault(gateway_id, []).append(receipt)
        return [
            (
                self._topics.gateway_acks(gateway_id),
                encode_message(SensorAck(receipts=items[start : start + MAX_SENSOR_RECEIPTS])),
            )
            for gateway_id, items in receipts.items()
            for start in range(0, len(items), MAX_SENSOR_RECEIPTS)
        ]

    def _gateway(self, topic: str) -> str | None:
        gateway_id = self._topics.parse_sensor_batches(topic)
        try:
            return validate_id(gateway_id) if gateway_id is not None else None
        except ValueError:
            return None


def sensor_consumer(
    broker: BrokerConfig,
    service: SensorIngestService,
    metrics: IngestMetrics,
    *,
    share_group: str,
    client_id: str,
    session_expiry_s: int,
    batch_max: int,
    retry: RetryPolicy | None = None,
) -> StreamConsumer[PreparedBatch, SensorOutcome]:
    return StreamConsumer(
        broker,
        service,
        metrics,
        topic_filter=broker.topics.all_sensor_batches(),
        receipts=SensorReceipts(broker.topics),
        share_group=share_group,
        client_id=client_id,
        session_expiry_s=session_expiry_s,
        batch_max=batch_max,
        retry=retry,
    )
