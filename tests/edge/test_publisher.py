"""MqttPublisher against the real Mosquitto: outbox delivery until central's ack, retained
status, stats.

A plain MQTT client plays central here (subscribes to alerts, publishes ``AlertAck``); the
tests with the real central service are in ``tests/test_zero_loss.py``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gridwatch.mosquitto import ManagedMosquitto
from gridwatch_contract import (
    AlertAck,
    AlertMessage,
    AlertReceipt,
    AlertState,
    EdgeAvailability,
    EdgeStatsMessage,
    EdgeStatusMessage,
    EventType,
    ModelInfo,
    decode_alert,
    decode_message,
    encode_alert,
    encode_message,
)
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.messages import BoundingBox, DetectedObject, FrameSize, Snapshot
from gridwatch_edge.config import OutboxConfig
from gridwatch_edge.outbox import OutboxLimits, OutboxStore
from gridwatch_edge.publisher import MqttPublisher
from tests.central.helpers import wait_until
from tests.edge.mqtt_helpers import Subscriber

# Unique per run: the client id derives from it, and other test runs share the broker.
EDGE_ID = f"edge-test-{uuid.uuid4().hex[:8]}"
# Short enough that a resend after a timeout shows within a test, long enough that nothing is
# resent while an ack is on its way over loopback.
ACK_TIMEOUT_S = 0.5
SETTINGS = OutboxConfig(ack_timeout_s=ACK_TIMEOUT_S, max_resend_interval_s=ACK_TIMEOUT_S)
LIMITS = OutboxLimits(max_entries=100, max_bytes=10**7, ttl_s=3600, history_entries=100)
MAX_PAYLOAD_BYTES = 20_000


def _alert(camera_id: str = "cam1", **overrides: object) -> AlertMessage:
    now = datetime.now(UTC)
    fields: dict[str, object] = {
        "alert_id": uuid.uuid4(),
        "event_id": uuid.uuid4(),
        "sequence": 0,
        "edge_id": EDGE_ID,
        "camera_id": camera_id,
        "event_type": EventType.CROWD,
        "rule_id": "crowd1",
        "zone_id": "road",
        "state": AlertState.NEW,
        "started_at": now,
        "updated_at": now,
        "confidence": 0.8,
        "frame": FrameSize(width=768, height=576),
        "model": ModelInfo(name="yolox_nano", version="1"),
    }
    fields.update(overrides)
    return AlertMessage.model_validate(fields)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[OutboxStore]:
    store = OutboxStore(tmp_path / "outbox.db", LIMITS)
    yield store
    store.close()


def _publisher(
    broker: BrokerConfig, outbox: OutboxStore, settings: OutboxConfig = SETTINGS
) -> MqttPublisher:
    publisher = MqttPublisher(
        broker, EDGE_ID, outbox, settings=settings, max_payload_bytes=MAX_PAYLOAD_BYTES
    )
    publisher.start()
    assert publisher.wait_connected(5)
    # The online status is published asynchronously on connect; wait until the broker has it,
    # so that the tests below see it as a retained message and not as a live one.
    announced = Subscriber(broker, broker.topics.edge_status(EDGE_ID))
    assert announced.wait_for(1), "online status never reached the broker"
    announced.close()
    return publisher


@pytest.fixture
def publisher(broker: BrokerConfig, outbox: OutboxStore) -> Iterator[MqttPublisher]:
    publisher = _publisher(broker, outbox)
    yield publisher
    publisher.close()
    cleaner = Subscriber(broker, broker.topics.edge_status(EDGE_ID))
    cleaner.clear_retained(broker.topics.edge_status(EDGE_ID))
    cleaner.close()


def _status(broker: BrokerConfig) -> EdgeStatusMessage:
    subscriber = Subscriber(broker, broker.topics.edge_status(EDGE_ID))
    try:
        (message,) = subscriber.wait_for(1)
    finally:
        subscriber.close()
    assert message.retain
    return decode_message(EdgeStatusMessage, bytes(message.payload))


def test_alert_arrives_on_its_topic_with_qos_1(
    broker: BrokerConfig, publisher: MqttPublisher
) -> None:
    subscriber = Subscriber(broker, broker.topics.all_alerts())
    alert = _alert()
    publisher.publish_alert(alert)
    try:
        (message,) = subscriber.wait_for(1)
    finally:
        subscriber.close()
    assert message.topic == broker.topics.alert(EDGE_ID, "cam1", "crowd")
    assert message.qos == 1
    assert decode_alert(bytes(message.payload)) == alert


def test_alert_with_snapshots_is_published_framed(
    broker: BrokerConfig, publisher: MqttPublisher
) -> None:
    subscriber = Subscriber(broker, broker.topics.all_alerts())
    annotated = Snapshot(data=b"\xff\xd8annotated\x00\xff\xd9", width=768, height=576)
    clean = Snapshot(data=b"\xff\xd8clean\xff\xd9", width=768, height=576)
    alert = _alert(snapshot=annotated, clean_snapshot=clean)
    publisher.publish_alert(alert)
    try:
        (message,) = subscriber.wait_for(1)
    finally:
        subscriber.close()
    payload = bytes(message.payload)
    assert payload == encode_alert(alert)
    assert payload.endswith(b"\x00" + (annotated.data or b"") + (clean.data or b""))
    assert decode_alert(payload) == alert


def test_stats_arrive(broker: BrokerConfig, publisher: MqttPublisher) -> None:
    subscriber = Subscriber(broker, broker.topics.edge_stats(EDGE_ID))
    stats = EdgeStatsMessage(edge_id=EDGE_ID, at=datetime.now(UTC), uptime_s=1.0, cameras=[])
    publisher.publish_stats(stats)
    try:
        (message,) = subscriber.wait_for(1)
    finally:
        subscriber.close()
    assert decode_message(EdgeStatsMessage, bytes(message.payload)) == stats


def test_retained_status_online_then_offline_after_close(
    broker: BrokerConfig, publisher: MqttPublisher
) -> None:
    online = _status(broker)
    assert online.state is EdgeAvailability.ONLINE
    assert online.edge_id == EDGE_ID
    publisher.close()
    assert _status(broker).state is EdgeAvailability.OFFLINE


def _alert_ids(subscriber: Subscriber) -> list[uuid.UUID]:
    return [
        decode_alert(bytes(m.payload)).alert_id
        for m in list(subscriber.messages)
        if "/alerts/" in m.topic
    ]


def _ack(subscriber: Subscriber, broker: BrokerConfig, alert_id: uuid.UUID, status: str) -> None:
    receipt = AlertReceipt.model_validate({"alert_id": alert_id, "status": status, "reason": None})
    ack = AlertAck(receipts=[receipt])
    subscriber.publish(broker.topics.alert_acks(EDGE_ID), encode_message(ack))


def test_alert_leaves_the_outbox_only_on_centrals_ack(
    broker: BrokerConfig, publisher: MqttPublisher, outbox: OutboxStore
) -> None:
    central = Subscriber(broker, broker.topics.all_alerts())
    try:
        alert = _alert()
        publisher.publish_alert(alert)
        central.wait_for(1)
        # The broker has PUBACKed the alert by now; that is not enough to let it go.
        assert outbox.depth() == 1
        _ack(central, broker, alert.alert_id, "stored")
        wait_until(lambda: outbox.depth() == 0)
    finally:
        central.close()
    assert [(row.alert_id, row.state) for row in outbox.history()] == [(alert.alert_id, "stored")]


def test_unacked_alert_is_resent_after_the_ack_timeout(
    broker: BrokerConfig, publisher: MqttPublisher, outbox: OutboxStore
) -> None:
    central = Subscriber(broker, broker.topics.all_alerts())
    try:
        alert = _alert()
        publisher.publish_alert(alert)
        wait_until(lambda: len(_alert_ids(central)) >= 3)
        assert set(_alert_ids(central)) == {alert.alert_id}
        _ack(central, broker, alert.alert_id, "duplicate")
        wait_until(lambda: outbox.depth() == 0)
    finally:
        central.close()
    assert publisher.resends >= 2
    (row,) = outbox.history()
    assert row.attempts >= 3


def test_one_alert_in_flight_per_camera_in_enqueue_order(
    broker: BrokerConfig, outbox: OutboxStore
) -> None:
    publisher = _publisher(broker, outbox, OutboxConfig(ack_timeout_s=60))
    central = Subscriber(broker, broker.topics.all_alerts())
    try:
        a1, a2, b1 = _alert("cam-a"), _alert("cam-a"), _alert("cam-b")
        for alert in (a1, a2, b1):
            publisher.publish_alert(alert)
        wait_until(lambda: len(_alert_ids(central)) == 2)
        assert set(_alert_ids(central)) == {a1.alert_id, b1.alert_id}, "a2 waits for a1's ack"
        _ack(central, broker, a1.alert_id, "stored")
        wait_until(lambda: a2.alert_id in _alert_ids(central))
        _ack(central, broker, a2.alert_id, "stored")
        _ack(central, broker, b1.alert_id, "stored")
        wait_until(lambda: outbox.depth() == 0)
    finally:
        central.close()
        publisher.close()
    seen = _alert_ids(central)
    assert seen.index(a1.alert_id) < seen.index(a2.alert_id)
    assert len(seen) == 3, "nothing was sent twice: every ack came within the timeout"


def test_unacked_alert_is_resent_when_the_broker_comes_back(outbox: OutboxStore) -> None:
    with ManagedMosquitto() as mosquitto:
        broker = mosquitto.config
        # No timeout resend in this test: only the reconnect can explain a second publish.
        publisher = _publisher(broker, outbox, OutboxConfig(ack_timeout_s=600))
        try:
            alert = _alert()
            publisher.publish_alert(alert)
            wait_until(lambda: outbox.history()[0].attempts == 1)
            mosquitto.kill()
            mosquitto.start()
            wait_until(lambda: outbox.history()[0].attempts == 2, timeout_s=15)
            central = Subscriber(broker, broker.topics.all_alerts())
            _ack(central, broker, alert.alert_id, "stored")
            central.close()
            wait_until(lambda: outbox.depth() == 0)
        finally:
            publisher.close()
    assert publisher.resends == 1


def test_alerts_left_by_a_previous_run_are_sent_at_start(
    broker: BrokerConfig, outbox: OutboxStore
) -> None:
    alert = _alert()
    topic = broker.topics.alert(EDGE_ID, alert.camera_id, alert.event_type.value)
    outbox.add(alert.alert_id, alert.camera_id, topic, encode_message(alert))
    central = Subscriber(broker, broker.topics.all_alerts())
    publisher = _publisher(broker, outbox)
    try:
        central.wait_for(1)
    finally:
        central.close()
        publisher.close()
    assert _alert_ids(central)[0] == alert.alert_id


def test_rejected_alert_is_dropped_logged_and_counted(
    broker: BrokerConfig,
    publisher: MqttPublisher,
    outbox: OutboxStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    central = Subscriber(broker, broker.topics.all_alerts())
    alert = _alert()
    with caplog.at_level(logging.ERROR):
        publisher.publish_alert(alert)
        central.wait_for(1)
        _ack(central, broker, alert.alert_id, "rejected")
        wait_until(lambda: f"central rejected alert {alert.alert_id}" in caplog.text)
    central.close()
    assert outbox.depth() == 0
    assert outbox.counts().acked == {"rejected": 1}


def test_oversized_alert_is_sent_without_snapshots(
    broker: BrokerConfig, publisher: MqttPublisher, caplog: pytest.LogCaptureFixture
) -> None:
    central = Subscriber(broker, broker.topics.all_alerts())
    picture = Snapshot(data=bytes(range(256)) * 60, width=768, height=576)  # 15 KiB each
    alert = _alert(snapshot=picture, clean_snapshot=picture)
    assert len(encode_alert(alert)) > MAX_PAYLOAD_BYTES
    with caplog.at_level(logging.WARNING):
        publisher.publish_alert(alert)
        (message,) = central.wait_for(1)
    central.close()
    received = decode_alert(bytes(message.payload))
    assert len(message.payload) <= MAX_PAYLOAD_BYTES
    assert (received.alert_id, received.snapshot, received.clean_snapshot) == (
        alert.alert_id,
        None,
        None,
    )
    assert "sent without snapshots" in caplog.text


def test_alert_too_large_even_without_snapshots_is_dropped_and_counted(
    publisher: MqttPublisher, outbox: OutboxStore
) -> None:
    person = DetectedObject(
        class_name="person", class_id=0, score=0.9, box=BoundingBox(x1=1, y1=2, x2=3, y2=4)
    )
    crowd = [person] * 200  # ~25 KiB of JSON
    publisher.publish_alert(_alert(objects=crowd))
    assert outbox.depth() == 0
    assert outbox.counts().dropped == {"too_large": 1}


def test_stats_carry_the_outbox_depth(broker: BrokerConfig, publisher: MqttPublisher) -> None:
    publisher.publish_alert(_alert())
    subscriber = Subscriber(broker, broker.topics.edge_stats(EDGE_ID))
    publisher.publish_stats(
        EdgeStatsMessage(edge_id=EDGE_ID, at=datetime.now(UTC), uptime_s=1.0, cameras=[])
    )
    try:
        (message,) = subscriber.wait_for(1)
    finally:
        subscriber.close()
    assert decode_message(EdgeStatsMessage, bytes(message.payload)).outbox_depth == 1
