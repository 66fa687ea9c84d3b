"""Fault: poison messages of every class, over MQTT, among good alerts (#11, findings 1, 4, 9).

Published: messages that are valid JSON but that the database or Python cannot take (JSON
nested 50 000 levels deep, an integer beyond a 32-bit column, a NUL inside a string, NaN,
Infinity, a timestamp at the edge of the representable range), one the contract accepts but
the database refuses (a trigger stands in for any value a future contract might miss), alerts
whose ids differ from their topic, and an oversized payload: three times as many as the
broker's in-flight window of the consumer, which the old ingest never acknowledged (it stopped
after one window full).

Expected: every good alert stored; every poison message quarantined with its code, acked
(nothing stays unacknowledged) and answered with a ``rejected`` receipt on its topic's edge
(never the edge its payload names); the quarantine keeps at most 64 KiB of the oversized one.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import repository
from gridwatch_central.ingest.quarantine import QUARANTINE_PREFIX_BYTES
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_message
from tests.central.helpers import TestClient, alert_topic, make_alert, make_config, wait_until
from tests.faults.helpers import health, poison_values, receipts

# batch_max 5 lets the broker have 10 deliveries in flight to central: 3 rounds of poison
# (27 messages) are more than two windows full.
BATCH_MAX = 5
ROUNDS = 3
GOOD_PER_ROUND = 5
REFUSED_RULE = "refused-by-db"
# The database refuses this alert although the contract accepts it (SQLSTATE 22003: value
# out of range), as it would a value the contract missed.
PG_TRIGGER = f"""
CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
BEGIN
  IF NEW.rule_id = '{REFUSED_RULE}' THEN
    RAISE EXCEPTION 'value out of range' USING ERRCODE = '22003';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_poison BEFORE INSERT ON alerts
  FOR EACH ROW EXECUTE FUNCTION refuse_poison();
"""
SQLITE_TRIGGER = f"""
CREATE TRIGGER refuse_poison BEFORE INSERT ON alerts WHEN NEW.rule_id = '{REFUSED_RULE}'
BEGIN SELECT RAISE(ABORT, 'value out of range'); END;
"""


@pytest.fixture
def central(database_url: str, broker: BrokerConfig, tmp_path: Path) -> Iterator[CentralRuntime]:
    config = make_config(database_url, broker, tmp_path)
    runtime = CentralRuntime(config.model_copy(update={"ingest_batch_max": BATCH_MAX}))
    runtime.start()
    with runtime.sessions.begin() as session:
        trigger = PG_TRIGGER if session.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGER
        session.connection().exec_driver_sql(trigger)
    try:
        yield runtime
    finally:
        runtime.stop()


def test_poison_messages_are_quarantined_and_acked_and_good_alerts_stored(
    central: CentralRuntime, edge: TestClient, broker: BrokerConfig
) -> None:
    topics = broker.topics
    edge.subscribe(topics.alert_acks("edge-01"))
    edge.subscribe(topics.alert_acks("edge-99"))
    good: list[uuid.UUID] = []
    poison: list[Poison] = []
    for _ in range(ROUNDS):
        for message in _poison_round(broker):
            edge.publish(message.topic, message.payload)
            poison.append(message)
        for _ in range(GOOD_PER_ROUND):
            alert = make_alert()
            edge.publish(alert_topic(broker, alert), alert)
            good.append(alert.alert_id)
    oversized = _oversized(broker, central.config.max_payload_bytes)
    edge.publish(oversized.topic, oversized.payload)
    poison.append(oversized)

    wait_until(lambda: len(receipts(edge)) == len(good) + len(poison), timeout_s=60)
    assert central.summary()["alerts"] == len(good)
    assert {r.alert_id for r in receipts(edge) if r.status == "stored"} == set(good)
    rejected = {r.alert_id: r.reason for r in receipts(edge) if r.status == "rejected"}
    assert rejected.keys() == {message.alert_id for message in poison}
    for message in poison:  # each told why, with its code first
        assert (rejected[message.alert_id] or "").startswith(f"{message.code}: ")
    # Receipts go to the edge of the topic, never to the one a payload names.
    assert receipts(edge, topics.alert_acks("edge-99")) == []
    with central.sessions() as session:
        rows = repository.list_quarantine(session, Scope.everything(), 500, 0).items
    assert Counter(row.error_code for row in rows) == Counter(m.code for m in poison)
    assert max(len(row.payload) for row in rows) == QUARANTINE_PREFIX_BYTES
    (big,) = [row for row in rows if row.error_code == "too_large"]
    assert big.payload_size == len(oversized.payload)
    assert big.payload_sha256 == hashlib.sha256(oversized.payload).hexdigest()
    wait_until(lambda: central.ingest_metrics.progress.snapshot().unacked == 0)
    status, body = health(central, "/healthz")
    assert (status, body["ingest"]["unacked_deliveries"], body["ingest"]["stalled"]) == (
        200,
        0,
        False,
    )


@dataclass(frozen=True, slots=True)
class Poison:
    code: str  # the quarantine code it must get
    alert_id: uuid.UUID
    topic: str
    payload: bytes


def _poison_round(broker: BrokerConfig) -> list[Poison]:
    """One message of each poison class, each with an alert_id of its own."""
    messages = [
        Poison("too_deep" if name == "deep_json" else "invalid", alert.alert_id, topic, payload)
        for name, alert, payload in poison_values()
        for topic in [alert_topic(broker, alert)]
    ]
    refused = make_alert(rule_id=REFUSED_RULE)
    messages.append(
        Poison(
            "store_failed",
            refused.alert_id,
            alert_topic(broker, refused),
            encode_message(refused),
        )
    )
    elsewhere = make_alert(edge_id="edge-99")
    on_edge_01 = broker.topics.alert("edge-01", elsewhere.camera_id, elsewhere.event_type.value)
    messages.append(
        Poison("topic_mismatch", elsewhere.alert_id, on_edge_01, encode_message(elsewhere))
    )
    return messages


def _oversized(broker: BrokerConfig, max_bytes: int) -> Poison:
    alert = make_alert()
    payload = encode_message(alert)[:-1] + b',"x":"' + b"a" * max_bytes + b'"}'
    return Poison("too_large", alert.alert_id, alert_topic(broker, alert), payload)
