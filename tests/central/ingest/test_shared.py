"""Two central processes in one ``$share`` group on the real broker split the stream, and
every alert is stored exactly once; batches store, deduplicate and quarantine together."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import repository
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.ingest.service import IncomingMessage
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import AlertState
from tests.central.helpers import TestClient, alert_topic, make_alert, make_config, wait_until

ALERTS = 400
EVENTS = 40


@pytest.fixture
def pair(database_url: str, broker: BrokerConfig, tmp_path: Path) -> Iterator[list[CentralRuntime]]:
    runtimes = [CentralRuntime(make_config(database_url, broker, tmp_path)) for _ in range(2)]
    try:
        for central in runtimes:
            central.start()
        yield runtimes
    finally:
        for central in runtimes:
            central.stop()


def test_two_processes_share_the_stream_and_store_each_alert_once(
    pair: list[CentralRuntime], edge: TestClient, broker: BrokerConfig
) -> None:
    events = [uuid.uuid4() for _ in range(EVENTS)]
    alerts = [
        make_alert(
            event_id=events[i % EVENTS],
            sequence=i // EVENTS,
            state=AlertState.NEW if i < EVENTS else AlertState.UPDATE,
        )
        for i in range(ALERTS)
    ]
    for alert in alerts:
        edge.publish(alert_topic(broker, alert), alert)
    for alert in alerts[:50]:  # redelivered by an edge that missed the receipt
        edge.publish(alert_topic(broker, alert), alert)

    first = pair[0]
    wait_until(lambda: first.summary()["alerts"] == ALERTS, timeout_s=60)

    def handled() -> int:
        return sum(c.stored + c.duplicates for c in (r.ingest_metrics.counts() for r in pair))

    wait_until(lambda: handled() == ALERTS + 50)
    counts = [central.ingest_metrics.counts() for central in pair]
    assert all(c.stored > 0 for c in counts), counts  # both members got a share
    assert sum(c.stored for c in counts) == ALERTS
    assert sum(c.duplicates for c in counts) == 50
    with first.sessions() as session:
        stored = session.scalar(select(func.count(func.distinct(AlertRow.alert_id))))
        unattached = session.scalar(select(func.count()).where(AlertRow.incident_id.is_(None)))
    assert (stored, unattached) == (ALERTS, 0)  # every alert stored once, each in an incident


def test_a_batch_stores_dedupes_and_quarantines_in_one_go(runtime: CentralRuntime) -> None:
    new = make_alert()
    end = make_alert(event_id=new.event_id, sequence=1, state=AlertState.END)
    topic = "gridwatch/v1/alerts/edge-01/cam-01/crowd"
    at = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    payloads = [encode_message(new), encode_message(new), b"not json", encode_message(end)]
    batch = [IncomingMessage(topic, payload, at) for payload in payloads]
    outcomes = runtime.ingest.handle_batch(batch)
    assert [o.status for o in outcomes] == ["stored", "duplicate", "rejected", "stored"]
    assert outcomes[0].incident_id == outcomes[3].incident_id is not None
    assert runtime.summary() == {"alerts": 2, "incidents": 1, "cases": 0, "rejected": 1}
    with runtime.sessions() as session:
        stored = repository.get_alert(session, Scope.everything(), new.alert_id)
    assert stored is not None
    # Server receive time and edge time are both kept; deadlines run on the server clock.
    assert stored.received_at == at
    assert stored.started_at == new.started_at
