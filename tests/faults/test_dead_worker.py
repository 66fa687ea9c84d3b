"""Fault: one of two central workers is killed (SIGKILL) mid-stream and never comes back
(#11, finding 3).

Two ``gridwatch central serve`` processes share the alert stream (``$share``) on one
PostgreSQL database; the real edge delivery path (outbox, receipts, resends) publishes alerts
of four cameras. After both workers have stored a share, one is killed with SIGKILL and left
dead while the edge keeps publishing. Mosquitto keeps routing the dead worker's share to its
session until the session expires, then drops what it held; the edge resends what was never
acknowledged. The session expiry here is 2 s and the edge's ack timeout 1 s so the test stays
short; ``benchmarks/faults.py`` measures the shipped defaults (10 s and 15 s).

Expected: every alert stored exactly once, every outbox entry acknowledged as stored (or as a
duplicate of a stored one), none rejected; the surviving worker is ready throughout.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from gridwatch_central.db.tables import AlertRow
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.publisher import MqttPublisher
from tests.central.helpers import make_alert, wait_until
from tests.faults.workers import EDGE_ID, Worker, edge_publisher

CAMERAS = 4
PER_PHASE = 24
SESSION_EXPIRY_S = 2
ACK_TIMEOUT_S = 1.0


@pytest.fixture
def workers(postgres_url: str, broker: BrokerConfig, tmp_path: Path) -> Iterator[list[Worker]]:
    pair = [
        Worker(name, postgres_url, broker, tmp_path, session_expiry_s=SESSION_EXPIRY_S)
        for name in ("a", "b")
    ]
    try:
        for worker in pair:  # one after the other: the first one migrates the database
            worker.start()
        yield pair
    finally:
        for worker in pair:
            worker.stop()


def test_a_killed_worker_left_dead_loses_no_alert(
    workers: list[Worker], postgres_url: str, broker: BrokerConfig, tmp_path: Path
) -> None:
    victim, survivor = workers
    publisher, outbox = edge_publisher(
        broker, tmp_path / "outbox.db", ack_timeout_s=ACK_TIMEOUT_S, max_resend_s=4 * ACK_TIMEOUT_S
    )
    try:
        _publish(publisher, PER_PHASE)
        wait_until(lambda: victim.stored() > 0 and survivor.stored() > 0, timeout_s=60)
        victim.kill()
        _publish(publisher, PER_PHASE)
        wait_until(lambda: outbox.depth() == 0, timeout_s=90)
    finally:
        publisher.close()
    history = outbox.history()
    assert len(history) == 2 * PER_PHASE
    assert {row.state for row in history} <= {"stored", "duplicate"}, "none rejected or dropped"
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            rows = connection.scalar(select(func.count()).select_from(AlertRow))
            ids = set(connection.scalars(select(AlertRow.alert_id)))
    finally:
        engine.dispose()
    assert rows == len(ids) == 2 * PER_PHASE  # each stored once
    assert ids == {row.alert_id for row in history}
    outbox.close()


def _publish(publisher: MqttPublisher, count: int) -> None:
    for n in range(count):
        publisher.publish_alert(make_alert(edge_id=EDGE_ID, camera_id=f"cam-{n % CAMERAS:02d}"))
