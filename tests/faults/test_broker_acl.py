"""The shipped broker configuration against clients that misbehave, on a real Mosquitto.

The broker is started from exactly what ``gridwatch broker init`` writes; edges A and B get
their accounts through ``gridwatch broker add-edge``. Each forgery is checked twice: the broker
refuses it (its reason code) and it never reaches the victim. "Never" is proven without timing:
after the refused message, a legitimate one goes the same way, and the broker forwards one
topic's messages in order, so once the legitimate one arrived, the forged one would have too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from ipaddress import IPv4Network
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.reasoncodes import ReasonCode
from prometheus_client import CollectorRegistry

from gridwatch_central.broker_accounts import broker_packet_limit
from gridwatch_central.edge_requests import (
    EdgeRequestClient,
    EdgeRequestMetrics,
    SnapshotFailed,
    SnapshotFailure,
)
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES, encode_alert, encode_message
from gridwatch_contract.messages import AlertAck, AlertReceipt, EdgeConfigMessage
from gridwatch_edge.config import CameraConfig, OutboxConfig, parse_edge_config
from gridwatch_edge.config_subscriber import ConfigSubscriber
from gridwatch_edge.detector import Detector
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.requests import RequestHandler, ResponseLimits
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink
from tests.central.helpers import make_alert, wait_until
from tests.mqtt_probe import BrokerClosedError, Probe
from tests.secured_broker import SecuredBroker, secured_broker

EDGE_A = "edge-a"
EDGE_B = "edge-b"
# MQTT 5 reason codes the broker answers with.
NOT_AUTHORIZED = 0x87
BAD_CREDENTIALS = 0x86
CLIP_CAMERA = "cam-01"
# Waits for things the broker does in milliseconds; generous for a loaded 2-core box.
DELIVERY_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    with secured_broker(tmp_path_factory.mktemp("broker")) as running:
        running.add_edge(EDGE_A)
        running.add_edge(EDGE_B)
        yield running


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    """Every probe a test opens, closed afterwards."""
    opened: list[Probe] = []
    yield opened
    for probe in opened:
        probe.close()


def _connected(opened: list[Probe], config: BrokerConfig, name: str) -> Probe:
    probe = Probe(config, name)
    opened.append(probe)
    reason = probe.connect()
    assert not reason.is_failure, f"{config.username} refused: {reason}"
    return probe


def _edge(broker: SecuredBroker, edge_id: str) -> BrokerConfig:
    return broker.account(f"edge.{edge_id}")


def _refused(reason: ReasonCode) -> bool:
    return reason.is_failure and reason.value == NOT_AUTHORIZED


def _only_payloads(messages: Sequence[mqtt.MQTTMessage]) -> list[bytes]:
    return [bytes(message.payload) for message in messages]


def test_anonymous_and_wrong_passwords_are_refused(broker: SecuredBroker) -> None:
    for config in (
        broker.anonymous,
        broker.config(username="edge.edge-a"),
        broker.config(username="edge.edge-a", password="not-the-password"),
        broker.config(username="nobody", password="guess"),
    ):
        probe = Probe(config, "stranger")
        try:
            reason = probe.connect()
        except BrokerClosedError as closed:  # refused at CONNACK, then closed: either proves it
            reason = closed.reason  # type: ignore[assignment]
        finally:
            probe.close()
        assert reason is not None
        assert reason.is_failure
        assert reason.value in {NOT_AUTHORIZED, BAD_CREDENTIALS}


def test_central_does_its_job(broker: SecuredBroker, probes: list[Probe]) -> None:
    """Central reads every edge's alerts (shared subscription too), status and stats, and
    publishes acks and configs, which the edge they are for receives."""
    topics = broker.anonymous.topics
    central = _connected(probes, broker.account("central"), "central")
    for topic_filter in (
        topics.shared("central", topics.all_alerts()),
        topics.all_edge_status(),
        topics.all_edge_stats(),
    ):
        assert not central.subscribe(topic_filter).is_failure, topic_filter
    edge = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    for topic in (topics.alert_acks(EDGE_A), topics.edge_config(EDGE_A)):
        assert not edge.subscribe(topic).is_failure, topic
    alert = make_alert(edge_id=EDGE_A)
    alert_topic = topics.alert(EDGE_A, alert.camera_id, alert.event_type.value)
    for topic in (alert_topic, topics.edge_status(EDGE_A), topics.edge_stats(EDGE_A)):
        assert not edge.publish(topic, b"{}").is_failure, topic
    received = {message.topic for message in central.wait_for_messages(3)}
    assert received == {alert_topic, topics.edge_status(EDGE_A), topics.edge_stats(EDGE_A)}
    ack = encode_message(
        AlertAck(receipts=[AlertReceipt(alert_id=alert.alert_id, status="stored")])
    )
    assert not central.publish(topics.alert_acks(EDGE_A), ack).is_failure
    assert not central.publish(topics.edge_config(EDGE_A), b"cfg", retain=True).is_failure
    assert _only_payloads(edge.wait_for_messages(2)) == [ack, b"cfg"]
    assert not central.publish(topics.edge_config(EDGE_A), b"", retain=True).is_failure


def test_a_forged_ack_never_removes_an_alert_from_the_edge_outbox(
    broker: SecuredBroker, probes: list[Probe], tmp_path: Path
) -> None:
    """Edge B (and edge A itself) publishing an ack for A's pending alert is refused; A keeps
    the alert until central's real ack."""
    topics = broker.anonymous.topics
    settings = OutboxConfig(path=tmp_path / "outbox.db")
    outbox = open_outbox(settings)
    publisher = MqttPublisher(
        _edge(broker, EDGE_A), EDGE_A, outbox, settings=settings, max_payload_bytes=1 << 20
    )
    publisher.start()
    try:
        assert publisher.wait_connected(DELIVERY_TIMEOUT_S)
        target, other = make_alert(edge_id=EDGE_A), make_alert(edge_id=EDGE_A, camera_id="cam-02")
        publisher.publish_alert(target)
        publisher.publish_alert(other)
        assert outbox.depth() == 2
        forged = encode_message(
            AlertAck(receipts=[AlertReceipt(alert_id=target.alert_id, status="stored")])
        )
        for forger in (_edge(broker, EDGE_B), _edge(broker, EDGE_A)):
            probe = _connected(probes, forger, "forger")
            assert _refused(probe.publish(topics.alert_acks(EDGE_A), forged))
        # Central's ack of the other alert travels the same topic after the forged ones.
        central = _connected(probes, broker.account("central"), "central")
        real = encode_message(
            AlertAck(receipts=[AlertReceipt(alert_id=other.alert_id, status="stored")])
        )
        assert not central.publish(topics.alert_acks(EDGE_A), real).is_failure
        wait_until(lambda: outbox.depth() == 1, timeout_s=DELIVERY_TIMEOUT_S)
        assert [entry.alert_id for entry in outbox.heads(10)] == [target.alert_id]
    finally:
        publisher.close()
        outbox.close()


class _RecordingCameras:
    """Stands in for the edge runtime: records the camera lists the subscriber applies."""

    def __init__(self) -> None:
        self.applied: list[list[CameraConfig]] = []

    def replace_cameras(self, cameras: Sequence[CameraConfig], *, remote: bool = False) -> None:
        assert remote  # cameras from central are always checked against the URL policy
        self.applied.append(list(cameras))


def _config_message(edge_id: str, revision: int, url: str) -> bytes:
    camera = {"id": "cam-1", "url": url}
    message = EdgeConfigMessage(
        edge_id=edge_id, revision=revision, issued_at=datetime.now(UTC), cameras=[camera]
    )
    return encode_message(message)


def test_a_forged_retained_config_never_reaches_the_edge(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    """A config that would stop A's cameras (revision 99, no cameras), published retained by
    edge B or by A itself, is refused; A applies central's revision 1 only."""
    topics = broker.anonymous.topics
    stopping = encode_message(
        EdgeConfigMessage(edge_id=EDGE_A, revision=99, issued_at=datetime.now(UTC), cameras=[])
    )
    for forger in (_edge(broker, EDGE_B), _edge(broker, EDGE_A)):
        probe = _connected(probes, forger, "forger")
        assert _refused(probe.publish(topics.edge_config(EDGE_A), stopping, retain=True))
    central = _connected(probes, broker.account("central"), "central")
    real = _config_message(EDGE_A, 1, "rtsp://10.0.0.5/ch1")
    assert not central.publish(topics.edge_config(EDGE_A), real, retain=True).is_failure
    cameras = _RecordingCameras()
    camera_lan = UrlPolicy(allow_cidrs=[IPv4Network("10.0.0.0/8")])
    subscriber = ConfigSubscriber(_edge(broker, EDGE_A), EDGE_A, cameras, url_policy=camera_lan)
    subscriber.start()
    try:
        assert subscriber.wait_for(revision=1, timeout_s=DELIVERY_TIMEOUT_S)
        assert subscriber.revision == 1
        assert [[camera.url for camera in applied] for applied in cameras.applied] == [
            ["rtsp://10.0.0.5/ch1"]
        ]
    finally:
        subscriber.close()
        assert not central.publish(topics.edge_config(EDGE_A), b"", retain=True).is_failure


def test_an_edge_cannot_publish_as_another_edge(broker: SecuredBroker, probes: list[Probe]) -> None:
    topics = broker.anonymous.topics
    alert = make_alert(edge_id=EDGE_B)  # B's id in the payload as well
    b_topics = [
        topics.alert(EDGE_B, alert.camera_id, alert.event_type.value),
        topics.edge_stats(EDGE_B),
        topics.edge_status(EDGE_B),
    ]
    central = _connected(probes, broker.account("central"), "central")
    for topic in (topics.all_alerts(), topics.edge_stats(EDGE_B), topics.edge_status(EDGE_B)):
        assert not central.subscribe(topic).is_failure
    edge_a = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    for topic in b_topics:
        assert _refused(edge_a.publish(topic, encode_alert(alert), retain=True)), topic
    edge_b = _connected(probes, _edge(broker, EDGE_B), "edge-b")
    for topic in b_topics:
        assert not edge_b.publish(topic, b"from B itself").is_failure
    assert _only_payloads(central.wait_for_messages(3)) == [b"from B itself"] * 3


def test_an_edge_cannot_read_what_is_not_its_own(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    topics = broker.anonymous.topics
    edge_a = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    for topic_filter in (
        topics.alert_acks(EDGE_B),
        topics.edge_config(EDGE_B),
        topics.all_alert_acks(),
        topics.all_alerts(),
        topics.shared("central", topics.all_alerts()),
        topics.shared("x", topics.alert_acks(EDGE_B)),
        topics.all_edge_status(),
        "#",
        "$CONTROL/dynamic-security/#",
    ):
        assert _refused(edge_a.subscribe(topic_filter)), topic_filter


def test_only_central_publishes_acks_and_configs(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    topics = broker.anonymous.topics
    edge_a = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    for topic in (topics.alert_acks(EDGE_A), topics.edge_config(EDGE_A)):
        assert _refused(edge_a.publish(topic, b"{}")), topic
    # The admin manages accounts; it carries no application data either way.
    admin = _connected(probes, broker.account("admin"), "admin")
    assert _refused(admin.publish(topics.alert_acks(EDGE_A), b"{}"))
    assert _refused(admin.subscribe(topics.all_alerts()))


def test_an_oversized_message_is_refused_by_the_broker(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    """The broker drops a client sending more than central could ever store; the largest
    alert central accepts (max_payload_bytes) still goes through."""
    topics = broker.anonymous.topics
    central = _connected(probes, broker.account("central"), "central")
    assert not central.subscribe(topics.all_alerts()).is_failure
    topic = topics.alert(EDGE_A, "cam-01", "crowd")
    edge = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    with pytest.raises(BrokerClosedError):
        edge.publish(topic, b"x" * broker_packet_limit())
    log = broker.mosquitto.log_path
    wait_until(lambda: "due to oversize packet" in log.read_text(), timeout_s=DELIVERY_TIMEOUT_S)
    again = _connected(probes, _edge(broker, EDGE_A), "edge-a-again")
    largest = b"y" * DEFAULT_MAX_PAYLOAD_BYTES
    assert not again.publish(topic, largest).is_failure
    assert _only_payloads(central.wait_for_messages(1)) == [largest]


def test_a_box_posing_as_another_edge_is_refused_and_says_why(
    broker: SecuredBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Edge A's account configured with edge_id B: the broker refuses its alerts and its ack
    subscription; the box logs why and keeps the alert for when its config is fixed."""
    settings = OutboxConfig(path=tmp_path / "outbox.db")
    outbox = open_outbox(settings)
    publisher = MqttPublisher(
        _edge(broker, EDGE_A), EDGE_B, outbox, settings=settings, max_payload_bytes=1 << 20
    )
    caplog.set_level(logging.ERROR, logger="gridwatch_edge.publisher")
    publisher.start()
    try:
        assert publisher.wait_connected(DELIVERY_TIMEOUT_S)
        publisher.publish_alert(make_alert(edge_id=EDGE_B))
        wait_until(lambda: "refused a message of edge edge-b" in caplog.text, DELIVERY_TIMEOUT_S)
        assert "refused this edge's ack topic" in caplog.text
        assert outbox.depth() == 1
    finally:
        publisher.close()
        outbox.close()


def test_requests_and_answers_pass_only_between_central_and_the_edge_named(
    broker: SecuredBroker, probes: list[Probe], vtest_clip: Path, yolox: Detector
) -> None:
    """Central's request client and an edge's request handler, each on its own account, get a
    request there and its answer back; an edge can neither ask, nor read or answer another
    edge's requests."""
    topics = broker.anonymous.topics
    # An edge of its own: the others' retained statuses (offline, after earlier tests) would
    # make central fail its requests at once, rightly.
    edge_c = "edge-c"
    account = broker.add_edge(edge_c)
    config = parse_edge_config(
        {"edge_id": edge_c, "cameras": [{"id": "gate", "url": str(vtest_clip)}]}
    )
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink())  # not started: offline
    limits = ResponseLimits(message_max_bytes=1 << 20, snapshot_max_bytes=1 << 19)
    handler = RequestHandler(account, edge_c, runtime, limits)
    client = EdgeRequestClient(
        broker.account("central"),
        client_id="central-requests",
        metrics=EdgeRequestMetrics(CollectorRegistry()),
        max_payload_bytes=DEFAULT_MAX_PAYLOAD_BYTES,
    )
    handler.start()
    try:
        assert handler.wait_subscribed(DELIVERY_TIMEOUT_S), "edge A may read its requests"
        client.start(DELIVERY_TIMEOUT_S)  # raises if the broker refused a subscription
        answer = client.request_snapshot(edge_c, "gate", DELIVERY_TIMEOUT_S)
        assert isinstance(answer, SnapshotFailed)
        assert answer.failure is SnapshotFailure.CAMERA_OFFLINE  # the edge's own answer
    finally:
        client.stop()
        handler.close()
        runtime.stop()
    edge_a = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    for topic in (topics.edge_requests(EDGE_A), topics.edge_requests(EDGE_B)):
        assert _refused(edge_a.publish(topic, b"{}")), topic
    assert _refused(edge_a.publish(topics.edge_responses(EDGE_B), b"{}"))
    for topic_filter in (
        topics.edge_requests(EDGE_B),
        topics.edge_responses(EDGE_B),
        topics.all_edge_responses(),
    ):
        assert _refused(edge_a.subscribe(topic_filter)), topic_filter


def test_clips_flow_from_each_edge_to_central_and_acks_back(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    topics = broker.anonymous.topics
    central = _connected(probes, broker.account("central"), "central")
    assert not central.subscribe(topics.shared("central", topics.all_clips())).is_failure
    edge = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    assert not edge.subscribe(topics.clip_acks(EDGE_A)).is_failure
    sent = [topics.clip_data(EDGE_A, CLIP_CAMERA), topics.clip_unavailable(EDGE_A, CLIP_CAMERA)]
    for topic in sent:
        assert not edge.publish(topic, b"chunk").is_failure, topic
    assert {m.topic for m in central.wait_for_messages(2)} == set(sent)
    assert not central.publish(topics.clip_acks(EDGE_A), b"ack").is_failure
    assert [bytes(m.payload) for m in edge.wait_for_messages(1)] == [b"ack"]


def test_an_edge_can_neither_send_clips_as_another_nor_forge_or_read_clip_acks(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    topics = broker.anonymous.topics
    edge_a = _connected(probes, _edge(broker, EDGE_A), "edge-a")
    for topic in (
        topics.clip_data(EDGE_B, CLIP_CAMERA),
        topics.clip_unavailable(EDGE_B, CLIP_CAMERA),
        topics.clip_acks(EDGE_A),  # a forged "stored" would make it drop a clip
        topics.clip_acks(EDGE_B),
    ):
        assert _refused(edge_a.publish(topic, b"forged")), topic
    for topic_filter in (
        topics.clip_acks(EDGE_B),
        topics.all_clip_acks(),
        topics.all_clips(),
        topics.clip_data(EDGE_B, CLIP_CAMERA),
    ):
        assert _refused(edge_a.subscribe(topic_filter)), topic_filter
