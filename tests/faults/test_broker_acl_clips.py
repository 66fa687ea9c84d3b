"""Clip topics under the shipped broker ACL: an edge sends clips only as itself, receives only
its own clip acks, and cannot forge one; central reads every edge's clips and answers them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.topics import Topics
from tests.mqtt_probe import Probe
from tests.secured_broker import SecuredBroker, secured_broker

EDGE_A = "edge-a"
EDGE_B = "edge-b"
CAMERA = "cam-01"
NOT_AUTHORIZED = 0x87


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    with secured_broker(tmp_path_factory.mktemp("broker")) as running:
        running.add_edge(EDGE_A)
        running.add_edge(EDGE_B)
        yield running


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    opened: list[Probe] = []
    yield opened
    for probe in opened:
        probe.close()


def _connected(opened: list[Probe], config: BrokerConfig, name: str) -> Probe:
    probe = Probe(config, name)
    opened.append(probe)
    assert not probe.connect().is_failure
    return probe


def _refused(reason: ReasonCode) -> bool:
    return bool(reason.is_failure) and reason.value == NOT_AUTHORIZED


def _edge(broker: SecuredBroker, probes: list[Probe], edge_id: str) -> Probe:
    return _connected(probes, broker.account(f"edge.{edge_id}"), edge_id)


def test_clips_flow_from_each_edge_to_central_and_acks_back(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    topics: Topics = broker.anonymous.topics
    central = _connected(probes, broker.account("central"), "central")
    assert not central.subscribe(topics.shared("central", topics.all_clips())).is_failure
    edge = _edge(broker, probes, EDGE_A)
    assert not edge.subscribe(topics.clip_acks(EDGE_A)).is_failure
    sent = [topics.clip_data(EDGE_A, CAMERA), topics.clip_unavailable(EDGE_A, CAMERA)]
    for topic in sent:
        assert not edge.publish(topic, b"chunk").is_failure, topic
    assert {m.topic for m in central.wait_for_messages(2)} == set(sent)
    assert not central.publish(topics.clip_acks(EDGE_A), b"ack").is_failure
    assert [bytes(m.payload) for m in edge.wait_for_messages(1)] == [b"ack"]


def test_an_edge_can_neither_send_clips_as_another_nor_forge_or_read_clip_acks(
    broker: SecuredBroker, probes: list[Probe]
) -> None:
    topics: Topics = broker.anonymous.topics
    edge_a = _edge(broker, probes, EDGE_A)
    for topic in (
        topics.clip_data(EDGE_B, CAMERA),
        topics.clip_unavailable(EDGE_B, CAMERA),
        topics.clip_acks(EDGE_A),  # a forged "stored" would make it drop a clip
        topics.clip_acks(EDGE_B),
    ):
        assert _refused(edge_a.publish(topic, b"forged")), topic
    for topic_filter in (
        topics.clip_acks(EDGE_B),
        topics.all_clip_acks(),
        topics.all_clips(),
        topics.clip_data(EDGE_B, CAMERA),
    ):
        assert _refused(edge_a.subscribe(topic_filter)), topic_filter
