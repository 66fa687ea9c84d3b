"""MqttPublisher against the real Mosquitto: alerts, retained status, last will semantics."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gridwatch_contract import (
    AlertMessage,
    AlertState,
    EdgeAvailability,
    EdgeStatsMessage,
    EdgeStatusMessage,
    EventType,
    ModelInfo,
    decode_alert,
    decode_message,
)
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.messages import FrameSize
from gridwatch_edge.publisher import MqttPublisher
from tests.edge.mqtt_helpers import Subscriber

EDGE_ID = "edge-test-1"


def _alert() -> AlertMessage:
    now = datetime.now(UTC)
    return AlertMessage(
        alert_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        sequence=0,
        edge_id=EDGE_ID,
        camera_id="cam1",
        event_type=EventType.CROWD,
        rule_id="crowd1",
        zone_id="road",
        state=AlertState.NEW,
        started_at=now,
        updated_at=now,
        confidence=0.8,
        frame=FrameSize(width=768, height=576),
        model=ModelInfo(name="yolox_nano", version="1"),
    )


@pytest.fixture
def publisher(broker: BrokerConfig) -> Iterator[MqttPublisher]:
    publisher = MqttPublisher(broker, EDGE_ID)
    publisher.start()
    assert publisher.wait_connected(5)
    # The online status is published asynchronously on connect; wait until the broker has it,
    # so that the tests below see it as a retained message and not as a live one.
    announced = Subscriber(broker, broker.topics.edge_status(EDGE_ID))
    assert announced.wait_for(1), "online status never reached the broker"
    announced.close()
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
