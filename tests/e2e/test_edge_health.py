"""The real edge (runtime, publisher, YOLOX-Nano on vtest.avi) seen from central's edge API:
online with its software and model versions, a working camera analysing frames, a camera whose
stream cannot be opened with its error, then offline when the edge stops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import EdgeConfig, load_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.runtime import EdgeRuntime
from tests.central.api.clients import admin_client
from tests.central.helpers import wait_until
from tests.conftest import REPO_ROOT

EDGE_ID = "edge-health-e2e"
# Nothing listens on port 9 (discard) of the loopback: opening the stream fails at once.
UNREACHABLE = "rtsp://127.0.0.1:9/live"
# Stats every second, so the test sees several within its first seconds.
STATS_INTERVAL_S = 1.0


def _edge_config(clip: Path, broker: BrokerConfig, outbox: Path) -> EdgeConfig:
    config = load_edge_config(REPO_ROOT / "configs" / "edge.example.yaml")
    playing = config.cameras[0].model_copy(update={"url": str(clip), "realtime": True})
    broken = playing.model_copy(update={"id": "cam-unreachable", "url": UNREACHABLE})
    return config.model_copy(
        update={
            "edge_id": EDGE_ID,
            "broker": broker,
            "cameras": [playing, broken],
            "outbox": config.outbox.model_copy(update={"path": outbox}),
            "stats_interval_s": STATS_INTERVAL_S,
        }
    )


def _shown(client: TestClient, check: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def ready() -> bool:
        response = client.get(f"/api/v1/edges/{EDGE_ID}")
        seen.clear()
        seen.update(response.json() if response.status_code == 200 else {})
        return bool(seen) and bool(check(seen))

    wait_until(ready, timeout_s=60)
    return seen


def test_a_running_edge_and_its_cameras_as_central_sees_them(
    central_runtime: CentralRuntime,
    broker: BrokerConfig,
    vtest_clip: Path,
    yolox: Detector,
    tmp_path: Path,
) -> None:
    config = _edge_config(vtest_clip, broker, tmp_path / "outbox.db")
    playing_id = config.cameras[0].id
    outbox = open_outbox(config.outbox)
    publisher = MqttPublisher.for_edge(config, outbox)
    edge = EdgeRuntime(config, detector=yolox, sink=publisher, stats_publisher=publisher)
    client = admin_client(central_runtime)
    publisher.start()
    try:
        assert publisher.wait_connected(10)
        edge.start()

        def analysing(shown: dict[str, Any]) -> bool:
            cameras = {camera["camera_id"]: camera for camera in shown["cameras"]}
            playing, broken = cameras.get(playing_id), cameras.get("cam-unreachable")
            return (
                playing is not None
                and playing["analysed_fps"] > 0
                and broken is not None
                and broken["last_error"] is not None
            )

        shown = _shown(client, analysing)
    finally:
        edge.stop()
        publisher.close()
        outbox.close()

    assert (shown["state"], shown["state_reason"]) == ("online", "reported_online")
    assert shown["software_version"]
    assert shown["model"] == {"name": "yolox_nano", "version": yolox.model_info.version}
    assert shown["stats_interval_s"] == STATS_INTERVAL_S
    cameras = {camera["camera_id"]: camera for camera in shown["cameras"]}
    playing, broken = cameras[playing_id], cameras["cam-unreachable"]
    assert playing["online"] is True
    assert playing["last_frame_at"] is not None
    assert playing["frames_analysed"] > 0
    assert broken["online"] is False
    assert broken["last_error_at"] is not None
    assert broken["last_error"].startswith(f"cannot open stream {UNREACHABLE}")

    stopped = _shown(client, lambda shown: shown["state"] == "offline")
    assert stopped["state_reason"] == "reported_offline"
