"""SQLite under concurrent writers: busy timeout, then whole-transaction retry on lock."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gridwatch_central.db import repository
from gridwatch_central.db.engine import make_engine, make_sessions, run_in_transaction
from gridwatch_central.db.migrate import upgrade_to_head
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from tests.central.helpers import make_alert

NOW = datetime(2026, 11, 21, tzinfo=UTC)
TOPIC = "gridwatch/v1/alerts/edge-01/cam-01/crowd"


def _hold_write_lock(url: str, seconds: float, locked: threading.Event) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(seconds)
            connection.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


@pytest.mark.parametrize(("hold_s", "succeeds"), [(0.3, True), (3.0, False)])
def test_a_locked_transaction_is_retried_with_bounded_back_off(
    sqlite_url: str, hold_s: float, succeeds: bool
) -> None:
    upgrade_to_head(sqlite_url)
    engine = make_engine(sqlite_url, sqlite_busy_timeout_ms=50)  # fail fast, to force retries
    sessions = make_sessions(engine)
    attempts = 0

    def work(session: Session) -> int:
        nonlocal attempts
        attempts += 1
        repository.insert_quarantine(
            session,
            [
                {
                    "topic": "t",
                    "payload": b"x",
                    "payload_size": 1,
                    "error_code": "c",
                    "reason": "r",
                    "received_at": NOW,
                }
            ],
        )
        return attempts

    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(sqlite_url, hold_s, locked))
    holder.start()
    locked.wait(5)
    try:
        if succeeds:
            assert run_in_transaction(sessions, work) > 1  # it did hit the lock, then got through
        else:
            with pytest.raises(OperationalError, match="database is locked"):
                run_in_transaction(sessions, work)
            assert attempts == 6  # bounded: gives up after LOCK_RETRY_ATTEMPTS
    finally:
        holder.join()
        engine.dispose()


def test_concurrent_writers_lose_nothing(runtime: CentralRuntime) -> None:
    alerts = [make_alert() for _ in range(80)]

    def store(index: int) -> str:
        return runtime.ingest.handle(TOPIC, encode_message(alerts[index])).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(store, range(len(alerts))))
    assert statuses == ["stored"] * len(alerts)
    summary = runtime.summary()
    assert (summary["alerts"], summary["rejected"]) == (80, 0)
