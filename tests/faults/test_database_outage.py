"""Fault: the database goes away for 15 s mid-stream and comes back (#11, finding 2).

A private PostgreSQL server (initdb/pg_ctl in a temporary directory, on a free port: the
shared one must never be stopped) is stopped with ``pg_ctl stop -m fast`` (every connection
cut) while alerts keep arriving, and started again 15 s later; central is not restarted. The
edge here publishes each alert once and never resends, so only central can keep them.

Expected: during the outage ``/readyz`` answers 503 and ``/healthz`` shows the deliveries held
unacknowledged; afterwards ingest resumes by itself, ``/readyz`` answers 200, and every alert
(published before, during and after the outage) is stored exactly once, none rejected.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridwatch.postgres import ManagedPostgres
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import TestClient, alert_topic, make_alert, make_config, wait_until
from tests.faults.helpers import health, receipts

OUTAGE_S = 15.0
PER_PHASE = 10


@pytest.fixture
def postgres() -> Iterator[ManagedPostgres]:
    with ManagedPostgres() as server:
        yield server


@pytest.fixture
def central(
    postgres: ManagedPostgres, broker: BrokerConfig, tmp_path: Path
) -> Iterator[CentralRuntime]:
    runtime = CentralRuntime(make_config(postgres.url, broker, tmp_path))
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


def test_ingest_holds_through_a_database_outage_and_resumes_by_itself(
    postgres: ManagedPostgres, central: CentralRuntime, edge: TestClient, broker: BrokerConfig
) -> None:
    edge.subscribe(broker.topics.alert_acks("edge-01"))
    published: list[uuid.UUID] = []

    def publish(count: int) -> None:
        for _ in range(count):
            alert = make_alert()
            edge.publish(alert_topic(broker, alert), alert)
            published.append(alert.alert_id)

    publish(PER_PHASE)
    wait_until(lambda: len(receipts(edge)) == PER_PHASE, timeout_s=30)
    assert health(central, "/readyz")[0] == 200

    postgres.stop("fast")
    outage_ends = time.monotonic() + OUTAGE_S
    publish(PER_PHASE)
    wait_until(lambda: health(central, "/readyz")[0] == 503, timeout_s=30)
    status, body = health(central, "/healthz")
    assert (status, body["database"], body["ingest"]["outage"]) == (503, False, True)
    assert body["ingest"]["unacked_deliveries"] > 0
    assert body["ingest"]["oldest_unacked_age_s"] > 0
    publish(PER_PHASE)
    time.sleep(max(0.0, outage_ends - time.monotonic()))  # the fault's length, not a check
    assert health(central, "/readyz")[0] == 503
    assert len(receipts(edge)) == PER_PHASE  # nothing answered, nothing rejected meanwhile

    postgres.start()
    publish(PER_PHASE)
    wait_until(lambda: len(receipts(edge)) == len(published), timeout_s=60)
    assert {(r.alert_id, r.status) for r in receipts(edge)} == {
        (alert_id, "stored") for alert_id in published
    }
    wait_until(lambda: health(central, "/readyz")[0] == 200, timeout_s=30)
    with central.sessions() as session:
        rows = session.scalar(select(func.count()).select_from(AlertRow))
        distinct = session.scalar(select(func.count(func.distinct(AlertRow.alert_id))))
    assert rows == distinct == len(published)
    assert central.summary()["rejected"] == 0
    status, body = health(central, "/healthz")
    assert (status, body["ingest"]["outage"], body["ingest"]["unacked_deliveries"]) == (
        200,
        False,
        0,
    )
    retries = [
        sample.value
        for metric in central.ingest_metrics.retries.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    ]
    assert sum(retries) > 0
