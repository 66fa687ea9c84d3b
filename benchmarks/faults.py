"""Ingest under faults: how long a database outage and a dead worker cost, in seconds.

``python -m benchmarks.faults [--scenario database|worker|all] [--runs 3] [--expiry 10 3600]``

Everything private: a Mosquitto and a PostgreSQL server of the benchmark's own (initdb in a
temporary directory), so the shared services are never stopped.

- ``database``: one central (in this process) ingests a steady stream (``--rate`` alerts/s,
  each published once, never resent); PostgreSQL is stopped (``pg_ctl stop -m fast``) for
  ``--outage`` seconds and started again. ``resume_s``: from the moment the server accepts
  connections again to the first alert committed after it (read from the receipts, which
  central sends after its commit). ``drained_s``: until every alert published is stored.
  ``lost`` and ``duplicated`` are counted in the database.
- ``worker``: two ``gridwatch central serve`` processes share the stream; the real edge
  delivery path (outbox, receipts, resends, the shipped ``ack_timeout_s`` of 15 s) publishes
  one alert per camera per second for 4 cameras. One worker gets SIGKILL and stays dead;
  publishing goes on for ``--after-kill`` seconds. ``all_stored_s``: from the kill until every
  alert published is stored (at least ``--after-kill``); ``max_delay_s``: the longest any
  alert waited from its enqueue to its commit (an alert the dead worker's session swallowed
  waits for the edge's resend; the alerts of its camera queue behind it, as the edge sends one
  per camera at a time). Run once per ``--expiry`` (central's ``session_expiry_s``; 10 is the
  default, 3600 the old one).

Last line: one JSON object. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from gridwatch.mosquitto import ManagedMosquitto
from gridwatch.postgres import ManagedPostgres
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import TestClient, alert_topic, make_alert, make_config
from tests.faults.helpers import receipts
from tests.faults.workers import EDGE_ID, Worker, edge_publisher

CAMERAS = 4
# Generous caps: a benchmark run ends even when ingest does not recover.
DRAIN_CAP_S = 120.0
WORKER_CAP_S = 600.0


def database_outage(outage_s: float, rate: float) -> dict[str, Any]:
    with (
        ManagedMosquitto() as mosquitto,
        ManagedPostgres() as postgres,
        tempfile.TemporaryDirectory() as workdir,
    ):
        broker = mosquitto.config
        central = CentralRuntime(make_config(postgres.url, broker, Path(workdir)))
        central.start()
        edge = TestClient(broker)
        edge.subscribe(broker.topics.alert_acks(EDGE_ID))
        published: list[uuid.UUID] = []
        stop = threading.Event()
        sender = threading.Thread(target=_steady, args=(edge, broker, rate, published, stop))
        sender.start()
        try:
            time.sleep(3)
            postgres.stop("fast")
            time.sleep(outage_s)
            answered_before = len(receipts(edge))
            postgres.start()
            back = time.monotonic()
            resumed = _wait(lambda: len(receipts(edge)) > answered_before, DRAIN_CAP_S)
            resume_s = time.monotonic() - back if resumed else None
            time.sleep(2)
        finally:
            stop.set()
            sender.join()
        drained = _wait(lambda: len(receipts(edge)) >= len(published), DRAIN_CAP_S)
        drained_s = time.monotonic() - back if drained else None
        with central.sessions() as session:
            rows = session.scalar(select(func.count()).select_from(AlertRow)) or 0
            ids = set(session.scalars(select(AlertRow.alert_id)))
        edge.close()
        central.stop()
    return {
        "outage_s": outage_s,
        "published": len(published),
        "resume_s": _round(resume_s),
        "drained_s": _round(drained_s),
        "lost": len(set(published) - ids),
        "duplicated": rows - len(ids),
    }


def _steady(
    edge: TestClient,
    broker: BrokerConfig,
    rate: float,
    published: list[uuid.UUID],
    stop: threading.Event,
) -> None:
    while not stop.wait(1 / rate):
        alert = make_alert()
        edge.publish(alert_topic(broker, alert), alert)
        published.append(alert.alert_id)


def dead_worker(session_expiry_s: int | None, after_kill_s: float) -> dict[str, Any]:
    with (
        ManagedMosquitto() as mosquitto,
        ManagedPostgres() as postgres,
        tempfile.TemporaryDirectory() as workdir,
    ):
        broker, work = mosquitto.config, Path(workdir)
        workers = [
            Worker(name, postgres.url, broker, work, session_expiry_s=session_expiry_s)
            for name in ("a", "b")
        ]
        for worker in workers:
            worker.start()
        publisher, outbox = edge_publisher(
            broker, work / "outbox.db", ack_timeout_s=15.0, max_resend_s=300.0
        )
        enqueued: dict[uuid.UUID, datetime] = {}
        try:
            _publish_for(publisher.publish_alert, enqueued, 10.0)
            workers[0].kill()
            killed_at = datetime.now(UTC)
            _publish_for(publisher.publish_alert, enqueued, after_kill_s)
            done = _wait(lambda: outbox.depth() == 0, WORKER_CAP_S)
        finally:
            publisher.close()
            for worker in workers:
                worker.stop()
        stored = _stored_at(postgres.url)
        outbox.close()
    delays = [(stored[a] - enqueued[a]).total_seconds() for a in enqueued if a in stored]
    last = max(stored.values(), default=killed_at)
    return {
        "session_expiry_s": session_expiry_s if session_expiry_s is not None else "default",
        "alerts": len(enqueued),
        "all_stored": done,
        "all_stored_s": _round((last - killed_at).total_seconds()) if done else None,
        "max_delay_s": _round(max(delays, default=0.0)),
        "p50_delay_s": _round(statistics.median(delays) if delays else 0.0),
        "delayed_over_5s": sum(delay > 5 for delay in delays),
        "resends": publisher.resends,
        "lost": len(set(enqueued) - set(stored)),
    }


def _publish_for(
    publish: Callable[[Any], None], enqueued: dict[uuid.UUID, datetime], seconds: float
) -> None:
    """One alert per camera per second for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for camera in range(CAMERAS):
            alert = make_alert(edge_id=EDGE_ID, camera_id=f"cam-{camera:02d}")
            enqueued[alert.alert_id] = datetime.now(UTC)
            publish(alert)
        time.sleep(1.0)


def _stored_at(database_url: str) -> dict[uuid.UUID, datetime]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(AlertRow.alert_id, AlertRow.received_at))
            return dict(rows.all())
    finally:
        engine.dispose()


def _wait(condition: Callable[[], bool], cap_s: float) -> bool:
    deadline = time.monotonic() + cap_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__)
    parser.add_argument("--scenario", choices=["database", "worker", "all"], default="all")
    parser.add_argument("--runs", type=int, default=3, help="database outages measured")
    parser.add_argument("--outage", type=float, default=15.0, help="seconds without database")
    parser.add_argument("--rate", type=float, default=20.0, help="alerts/s during the outage run")
    parser.add_argument(
        "--expiry",
        type=int,
        nargs="*",
        default=[10, 3600],
        help="central session_expiry_s values to run the dead-worker case with",
    )
    parser.add_argument("--after-kill", type=float, default=20.0, help="publishing after kill")
    options = parser.parse_args(argv)
    result: dict[str, Any] = {}
    if options.scenario in ("database", "all"):
        runs = [database_outage(options.outage, options.rate) for _ in range(options.runs)]
        for run in runs:
            print(json.dumps({"database_outage": run}), flush=True)
        result["database_outage"] = runs
    if options.scenario in ("worker", "all"):
        cases = []
        for expiry in options.expiry:
            case = dead_worker(expiry, options.after_kill)
            print(json.dumps({"dead_worker": case}), flush=True)
            cases.append(case)
        result["dead_worker"] = cases
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
