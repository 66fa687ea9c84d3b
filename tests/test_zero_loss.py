"""Zero loss with real parts: kill -9 of the broker, and of the edge process, mid-stream.

Every run uses a private Mosquitto (``ManagedMosquitto``), the real central service on SQLite
and the real edge (YOLOX-Nano on vtest.avi, as fast as it decodes) with a permissive crowd rule
that raises an alert about every simulated second. The edge's outbox keeps a row per alert it
committed (pending, or how it left), which is compared with what central stored: the same set
of alert ids, each stored once, in enqueue order per camera.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gridwatch.mosquitto import ManagedMosquitto
from gridwatch_central.config import CentralConfig
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import DetectorConfig, EdgeConfig, parse_edge_config
from gridwatch_edge.detector import load_detector
from gridwatch_edge.outbox import HistoryRow, open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.runtime import EdgeRuntime
from tests.central.helpers import DEMO_POINT, make_config, wait_until
from tests.conftest import REPO_ROOT

EDGE_ID = "edge-zero-loss"
# Persons >= 2 for 0.2 s anywhere in the frame, an update every simulated second: vtest.avi
# then gives an alert roughly every simulated second, dozens in a few seconds of wall time.
PERMISSIVE_CROWD = {
    "type": "crowd",
    "id": "crowd",
    "zone": "everywhere",
    "min_persons": 2,
    "min_duration_s": 0.2,
    "update_interval_s": 1,
    "end_after_s": 1,
}
# Short so that an alert the broker dropped (no subscriber yet after its restart) is sent again
# within the test; production uses 15 s.
TEST_ACK_TIMEOUT_S = 1.0
RUN_TIMEOUT_S = 60.0


def _edge_document(broker: BrokerConfig, clip: Path, outbox: Path) -> dict[str, Any]:
    camera = {
        "id": "cam1",
        "url": str(clip),
        "realtime": False,
        # 2 analysed frames per second of video keep the alerts coming (the rule needs 0.2 s)
        # at 40 % of the detector work of the default 5, so a loaded CI box stays well in time.
        "analysis_fps": 2,
        "location": DEMO_POINT.model_dump(),
        "zones": [{"id": "everywhere", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
        "rules": [PERMISSIVE_CROWD],
    }
    return {
        "edge_id": EDGE_ID,
        "broker": broker.model_dump(mode="json"),
        "cameras": [camera],
        "stats_interval_s": 1,
        "outbox": {
            "path": str(outbox),
            "ack_timeout_s": TEST_ACK_TIMEOUT_S,
            "max_resend_interval_s": 2 * TEST_ACK_TIMEOUT_S,
            "drain_timeout_s": 30,
        },
    }


@pytest.fixture
def mosquitto() -> Iterator[ManagedMosquitto]:
    with ManagedMosquitto() as broker:
        yield broker


@pytest.fixture
def central_config(mosquitto: ManagedMosquitto, sqlite_url: str, tmp_path: Path) -> CentralConfig:
    return make_config(sqlite_url, mosquitto.config, tmp_path)


def _start_central(config: CentralConfig) -> CentralRuntime:
    central = CentralRuntime(config)
    central.start()
    return central


def _stored(central: CentralRuntime) -> list[tuple[uuid.UUID, str]]:
    """(alert_id, camera_id) of every stored alert, in the order central stored them."""
    with central.sessions() as session:
        rows = session.execute(select(AlertRow.alert_id, AlertRow.camera_id).order_by(AlertRow.id))
        return [(alert_id, camera_id) for alert_id, camera_id in rows]


def _pending(outbox_path: Path) -> int:
    """Pending alerts in an outbox another process is writing (read-only, WAL allows it)."""
    if not outbox_path.exists():
        return 0
    with sqlite3.connect(f"file:{outbox_path}?mode=ro", uri=True) as db:
        try:
            (count,) = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'").fetchone()
        except sqlite3.OperationalError:  # the table is not created yet
            return 0
    return int(count)


def _assert_exactly_once(history: list[HistoryRow], central: CentralRuntime) -> dict[str, int]:
    """Central stored each committed alert once, in enqueue order per camera; figures back."""
    stored = _stored(central)
    stored_ids = [alert_id for alert_id, _ in stored]
    assert len(stored_ids) == len(set(stored_ids))
    assert {row.state for row in history} <= {"stored", "duplicate"}, "all acked, none dropped"
    assert set(stored_ids) == {row.alert_id for row in history}
    for camera in {row.camera_id for row in history}:
        enqueued = [row.alert_id for row in history if row.camera_id == camera]
        assert [a for a, c in stored if c == camera] == enqueued, f"order of camera {camera}"
    counts = central.ingest_metrics.counts()
    return {
        "alerts": len(history),
        "stored_once": len(stored_ids),
        "duplicates_at_central": int(counts.duplicates),
        "sends": sum(row.attempts for row in history),
        "redeliveries": sum(row.attempts - 1 for row in history),
    }


def _report(name: str, figures: dict[str, int]) -> None:
    # Printed for the record (pytest -s shows it); assertions above carry the verdict.
    print(f"{name}: {json.dumps(figures)}")


def test_broker_kill_9_mid_stream_loses_and_duplicates_nothing(
    mosquitto: ManagedMosquitto,
    central_config: CentralConfig,
    *,
    vtest_clip: Path,
    models_dir: Path,
    tmp_path: Path,
) -> None:
    config: EdgeConfig = parse_edge_config(
        _edge_document(mosquitto.config, vtest_clip, tmp_path / "outbox.db")
    )
    detector = load_detector(
        DetectorConfig(), models_dir=models_dir, manifest_dirs=[REPO_ROOT / "models"]
    )
    central = _start_central(central_config)
    outbox = open_outbox(config.outbox)
    publisher = MqttPublisher.for_edge(config, outbox)
    edge = EdgeRuntime(config, detector=detector, sink=publisher, stats_publisher=publisher)
    publisher.start()
    try:
        assert publisher.wait_connected(5)
        edge.start()
        wait_until(lambda: len(_stored(central)) >= 5, timeout_s=RUN_TIMEOUT_S)
        mosquitto.kill()
        before_kill = len(_stored(central))
        # While the broker is dead the camera keeps raising alerts: they wait in the outbox.
        wait_until(lambda: outbox.depth() >= 5 or edge.wait(0), timeout_s=RUN_TIMEOUT_S)
        depth_in_outage = outbox.depth()
        mosquitto.start()
        assert edge.wait(RUN_TIMEOUT_S), "the clip did not finish"
        assert publisher.drain(RUN_TIMEOUT_S), f"{outbox.depth()} alerts never acknowledged"
    finally:
        edge.stop()
        publisher.close()
        central_history = outbox.history()
        outbox.close()
    try:
        figures = _assert_exactly_once(central_history, central)
    finally:
        central.stop()
    assert depth_in_outage >= 1
    figures |= {
        "stored_before_kill": before_kill,
        "outbox_depth_during_outage": depth_in_outage,
        "resends_by_edge": publisher.resends,
    }
    _report("broker kill -9", figures)


def test_edge_kill_9_mid_stream_loses_and_duplicates_nothing(
    mosquitto: ManagedMosquitto,
    central_config: CentralConfig,
    *,
    vtest_clip: Path,
    models_dir: Path,
    tmp_path: Path,
) -> None:
    outbox_path = tmp_path / "outbox.db"
    config_path = tmp_path / "edge.yaml"
    document = _edge_document(mosquitto.config, vtest_clip, outbox_path)
    config_path.write_text(yaml.safe_dump(document), encoding="utf-8")
    command = [sys.executable, "-m", "gridwatch", "edge", "run", "--config", str(config_path)]
    env = {**os.environ, "GRIDWATCH_MODELS_DIR": str(models_dir)}

    central = _start_central(central_config)
    first = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
    try:
        wait_until(lambda: len(_stored(central)) >= 3, timeout_s=RUN_TIMEOUT_S)
        # Central goes away, so that the edge has committed-but-unacknowledged alerts when it
        # is killed: the case a broker PUBACK would wrongly have counted as delivered.
        central.stop()
        wait_until(lambda: _pending(outbox_path) >= 3, timeout_s=RUN_TIMEOUT_S)
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    pending_at_kill = _pending(outbox_path)

    central = _start_central(central_config)
    try:
        second = subprocess.run(command, cwd=REPO_ROOT, env=env, timeout=RUN_TIMEOUT_S, check=False)
        assert second.returncode == 0
        outbox = open_outbox(parse_edge_config(document).outbox)
        history = outbox.history()
        outbox.close()
        figures = _assert_exactly_once(history, central)
    finally:
        central.stop()
    assert pending_at_kill >= 3
    figures |= {"pending_at_kill": pending_at_kill}
    _report("edge kill -9", figures)
