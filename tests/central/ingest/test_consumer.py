"""Ingest over the real Mosquitto broker: QoS 1 in, broker ack and AlertAck out."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from gridwatch_central.auth.scope import Scope
from gridwatch_central.config import CentralConfig
from gridwatch_central.db.incident_repository import IncidentFilter
from gridwatch_central.ingest.consumer import ConsumerError, edge_id_from_topic
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.services.case_loop import list_incidents
from gridwatch_central.services.ingest_status import quarantine
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import decode_message, encode_alert, encode_message
from gridwatch_contract.messages import AlertAck, AlertReceipt, EdgeStatusMessage
from gridwatch_contract.topics import Topics
from tests.central.case_loop_helpers import T0, ManualClock
from tests.central.helpers import TestClient, alert_topic, make_alert, make_config, wait_until


def _acks(edge: TestClient) -> list[AlertReceipt]:
    """Every receipt received, in order (one ``AlertAck`` carries a batch's receipts)."""
    return [
        receipt
        for _, payload in list(edge.received)
        for receipt in decode_message(AlertAck, payload).receipts
    ]


def test_alert_published_twice_is_stored_once_and_acked_twice(
    runtime: CentralRuntime, edge: TestClient, broker: BrokerConfig
) -> None:
    alert = make_alert()
    edge.subscribe(broker.topics.alert_acks(alert.edge_id))
    for _ in range(2):
        edge.publish(alert_topic(broker, alert), alert)
    wait_until(lambda: len(_acks(edge)) == 2)
    assert [(a.alert_id, a.status) for a in _acks(edge)] == [
        (alert.alert_id, "stored"),
        (alert.alert_id, "duplicate"),
    ]
    assert runtime.summary() == {"alerts": 1, "incidents": 1, "cases": 0, "rejected": 0}


def test_bad_messages_are_quarantined_and_the_consumer_keeps_going(
    runtime: CentralRuntime, edge: TestClient, broker: BrokerConfig
) -> None:
    good = make_alert()
    topic = alert_topic(broker, good)
    edge.subscribe(broker.topics.alert_acks(good.edge_id))
    document = json.loads(encode_message(make_alert()))
    status = EdgeStatusMessage.model_validate(
        {"edge_id": "edge-01", "state": "online", "at": good.started_at, "software_version": "1"}
    )
    bad = [
        b'{"schema_version": 1, ',
        json.dumps({**document, "colour": "red"}).encode(),
        json.dumps({**document, "schema_version": 2}).encode(),
        encode_message(status),  # a valid message, of another type
    ]
    for payload in bad:
        edge.publish(topic, payload)
    edge.publish(topic, good)

    wait_until(lambda: runtime.summary()["alerts"] == 1)
    assert runtime.summary() == {"alerts": 1, "incidents": 1, "cases": 0, "rejected": 4}
    assert runtime.ingest_metrics.counts().rejected == {
        "malformed_json": 1,
        "unknown_field": 2,
        "unsupported_version": 1,
    }
    with runtime.sessions() as session:
        page = quarantine(session, Scope.everything(), limit=10, offset=0)
    reasons = [(item.error_code, item.reason) for item in reversed(page.items)]
    assert [code for code, _ in reasons] == [
        "malformed_json",
        "unknown_field",
        "unsupported_version",
        "unknown_field",
    ]
    assert "not valid UTF-8 JSON" in reasons[0][1]
    assert reasons[1][1] == "AlertMessage has no field(s): colour"
    assert "schema_version 2 is not supported" in reasons[2][1]
    assert reasons[3][1] == "AlertMessage has no field(s): at, software_version, config"
    # Senders whose message still names an alert are told it was rejected, and why.
    wait_until(lambda: len(_acks(edge)) == 3)
    statuses = sorted((a.status, (a.reason or "")[:19]) for a in _acks(edge))
    assert statuses == [
        ("rejected", "unknown_field: Aler"),
        ("rejected", "unsupported_version"),
        ("stored", ""),
    ]


@pytest.mark.usefixtures("runtime")
def test_a_rejected_framed_alert_is_answered_with_its_alert_id(
    edge: TestClient, broker: BrokerConfig
) -> None:
    alert = make_alert()
    edge.subscribe(broker.topics.alert_acks(alert.edge_id))
    edge.publish(alert_topic(broker, alert), encode_alert(alert) + b"unclaimed")
    wait_until(lambda: len(_acks(edge)) == 1)
    (ack,) = _acks(edge)
    assert (ack.alert_id, ack.status) == (alert.alert_id, "rejected")
    assert (ack.reason or "").startswith("bad_attachment: ")


def test_start_fails_clearly_without_a_broker(sqlite_url: str, tmp_path: Path) -> None:
    config: CentralConfig = make_config(sqlite_url, BrokerConfig(port=1), tmp_path)
    config = config.model_copy(update={"subscribe_timeout_s": 0.5})
    with pytest.raises(ConsumerError, match=r"not subscribed to \$share/central/.* within 0.5 s"):
        CentralRuntime(config).start()


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("gw/x/v1/alerts/edge-7/cam/crowd", "edge-7"),
        ("gw/x/v1/alerts/edge-7/cam", None),
        ("other/v1/alerts/edge-7/cam/crowd", None),
    ],
)
def test_edge_id_from_topic(topic: str, expected: str | None) -> None:
    assert edge_id_from_topic(topic, Topics("gw/x")) == expected


def test_alerts_over_mqtt_are_stamped_with_the_server_clock(
    loop_runtime: CentralRuntime, clock: ManualClock, edge: TestClient, broker: BrokerConfig
) -> None:
    """The receive time is the injected server clock, like every deadline, not the wall clock:
    the time to verify and the merge window are measured against it."""
    clock.at(7)
    alert = make_alert()
    edge.publish(alert_topic(broker, alert), alert)
    wait_until(lambda: loop_runtime.summary()["incidents"] == 1)
    with loop_runtime.sessions() as session:
        page = list_incidents(session, IncidentFilter(), Scope.everything(), 10, 0)
    assert page.items[0].first_seen_at == T0 + timedelta(minutes=7)
