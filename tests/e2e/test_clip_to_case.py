"""The whole slice with real parts: vtest.avi → YOLOX-Nano → Mosquitto → central → case.

Runs once on SQLite and once on PostgreSQL. The example edge config's crowd zone on the campus
road raises real crowd alerts; the camera stands in micro-grid 500240101001002 of the example
district, so every case must carry that micro-grid and its two parents. The edge publishes its
alerts framed (JSON header, NUL, raw JPEGs): central must store both pictures byte for byte.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gridwatch.demo import crowd_auto_verifying_routing
from gridwatch_central.db.tables import AlertRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract import decode_alert
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import EdgeConfig, load_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.runtime import EdgeRuntime
from tests.central.api.clients import admin_client
from tests.central.helpers import make_config
from tests.conftest import REPO_ROOT
from tests.edge.mqtt_helpers import Subscriber

ROUTING = REPO_ROOT / "configs" / "routing.yaml"
EXPECTED_GRID = ("500240101000000", "500240101001000", "500240101001002")
# Ingest of a handful of alerts over loopback takes milliseconds; 20 s absorbs a loaded CI box.
STORE_TIMEOUT_S = 20.0


@pytest.fixture
def central(database_url: str, broker: BrokerConfig, tmp_path: Path) -> Iterator[CentralRuntime]:
    config = make_config(database_url, broker, tmp_path)
    # As in the demo: crowds verify themselves, so the slice ends in cases.
    routing = crowd_auto_verifying_routing(ROUTING, tmp_path)
    runtime = CentralRuntime(config.model_copy(update={"routing_file": routing}))
    runtime.start()
    yield runtime
    runtime.stop()


def _edge_config(clip: Path, broker: BrokerConfig, outbox: Path) -> EdgeConfig:
    config = load_edge_config(REPO_ROOT / "configs" / "edge.example.yaml")
    camera = config.cameras[0].model_copy(update={"url": str(clip), "realtime": False})
    outbox_config = config.outbox.model_copy(update={"path": outbox})
    return config.model_copy(
        update={"broker": broker, "cameras": [camera], "outbox": outbox_config}
    )


def _play_clip(config: EdgeConfig, detector: Detector) -> int:
    """Run the edge over the whole clip; return how many alert messages it published."""
    outbox = open_outbox(config.outbox)
    publisher = MqttPublisher.for_edge(config, outbox)
    publisher.start()
    assert publisher.wait_connected(5)
    edge = EdgeRuntime(config, detector=detector, sink=publisher)
    edge.start()
    try:
        assert edge.wait(timeout=300), "the clip did not finish"
        edge.stop()
        assert publisher.drain(STORE_TIMEOUT_S), "central did not acknowledge every alert"
    finally:
        edge.stop()
        publisher.close()
        outbox.close()
    return sum(camera.alerts for camera in edge.camera_stats())


def _wait_stored(central: CentralRuntime, count: int) -> dict[str, int]:
    deadline = time.monotonic() + STORE_TIMEOUT_S
    while (summary := central.summary())["alerts"] < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return summary


def test_clip_alerts_become_cases_with_three_grid_codes(
    central: CentralRuntime,
    broker: BrokerConfig,
    vtest_clip: Path,
    yolox: Detector,
    tmp_path: Path,
) -> None:
    sent = Subscriber(broker, broker.topics.all_alerts())
    try:
        published = _play_clip(_edge_config(vtest_clip, broker, tmp_path / "outbox.db"), yolox)
    finally:
        sent.close()
    assert published >= 4  # three crowd events, each a "new" plus its updates/end

    summary = _wait_stored(central, published)
    assert summary["alerts"] == published
    assert summary["rejected"] == 0

    client = admin_client(central)
    alerts = client.get("/api/v1/alerts", params={"limit": 200}).json()
    assert alerts["total"] == published
    assert {alert["event_type"] for alert in alerts["items"]} == {"crowd"}
    new_alerts = [alert for alert in alerts["items"] if alert["state"] == "new"]

    # The crowds form on one stretch of road within minutes: one incident, one case.
    assert {alert["incident_id"] for alert in alerts["items"]} == {1}
    cases = client.get("/api/v1/cases", params={"limit": 200}).json()
    assert cases["total"] == summary["cases"] == summary["incidents"] == 1
    for case in cases["items"]:
        codes = (case["grid_l1_code"], case["grid_l2_code"], case["grid_l3_code"])
        assert codes == EXPECTED_GRID

    first = new_alerts[0]
    snapshot = client.get(first["snapshot_url"])
    assert snapshot.status_code == 200
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert snapshot.content.startswith(b"\xff\xd8")
    _assert_pictures_stored_as_sent(central, [bytes(m.payload) for m in sent.messages])


def _assert_pictures_stored_as_sent(central: CentralRuntime, payloads: list[bytes]) -> None:
    """Every alert went out framed, and central kept both of its JPEGs byte for byte."""
    with central.sessions() as session:
        rows = {row.alert_id: row for row in session.scalars(select(AlertRow))}
    assert payloads
    for payload in payloads:
        alert = decode_alert(payload)
        assert alert.snapshot is not None
        assert alert.clean_snapshot is not None
        assert b"\x00" in payload, "framed: JSON header, NUL, raw JPEGs"
        row = rows[alert.alert_id]
        stored = (
            central.snapshots.read(row.snapshot_sha256 or ""),
            central.snapshots.read(row.clean_snapshot_sha256 or ""),
        )
        assert stored == (alert.snapshot.data, alert.clean_snapshot.data)
