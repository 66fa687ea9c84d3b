"""What central's config may do to a box: network cameras only (unless the box's own YAML
allows files), and a box started without cameras waits for that config instead of exiting."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from gridwatch_contract import EdgeConfigMessage, EdgeStatsMessage, encode_message
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.camera.url_policy import UrlPolicy
from gridwatch_contract.codec import decode_message
from gridwatch_edge.config import CameraConfig, ConfigError, parse_edge_config
from gridwatch_edge.config_subscriber import ConfigSubscriber
from gridwatch_edge.runtime import run_edge
from tests.central.helpers import wait_until
from tests.edge.mqtt_helpers import Subscriber

EDGE_ID = "edge-remote"
# The example cameras' network, allow-listed as a box on a camera LAN would.
CAMERA_LAN = UrlPolicy(allow_cidrs=[IPv4Network("10.0.0.0/8")])
# The clip at 1 analysed frame per second, as fast as it decodes: 80 detections, a few seconds.
RUN_TIMEOUT_S = 120.0


class _RecordingCameras:
    def __init__(self) -> None:
        self.applied: list[list[CameraConfig]] = []

    def replace_cameras(self, cameras: Sequence[CameraConfig], *, remote: bool = False) -> None:
        assert remote  # cameras from central are always checked against the URL policy
        self.applied.append(list(cameras))


def _config(revision: int, *urls: str) -> bytes:
    cameras: list[dict[str, Any]] = [
        {"id": f"cam-{index}", "url": url, "analysis_fps": 1, "realtime": False}
        for index, url in enumerate(urls)
    ]
    message = EdgeConfigMessage(
        edge_id=EDGE_ID, revision=revision, issued_at=datetime.now(UTC), cameras=cameras
    )
    return encode_message(message)


def test_central_may_name_network_cameras_but_not_files(vtest_clip: Path) -> None:
    cameras = _RecordingCameras()
    subscriber = ConfigSubscriber(BrokerConfig(), EDGE_ID, cameras, url_policy=CAMERA_LAN)
    subscriber.apply(_config(1, "rtsp://10.0.0.5/ch1", str(vtest_clip)))
    assert subscriber.rejected == 1
    assert subscriber.last_error is not None
    assert "revision 1 refused, the cameras running stay as they were: camera cam-1: url:" in (
        subscriber.last_error
    )
    (problem,) = subscriber.report.cameras
    assert problem.camera == "cam-1"
    assert "url: a config from central may name network cameras only" in problem.reason
    assert "allow_file_sources_from_central" in problem.reason
    assert subscriber.report.rejected_revision == 1
    subscriber.apply(_config(2, "rtsp://10.0.0.5/ch1", "rtsps://10.0.0.6/ch1"))
    assert subscriber.revision == 2
    assert len(cameras.applied) == 1  # only the network-only document
    assert [camera.url for camera in cameras.applied[0]] == [
        "rtsp://10.0.0.5/ch1",
        "rtsps://10.0.0.6/ch1",
    ]


def test_a_box_that_allows_it_takes_files_from_central(vtest_clip: Path) -> None:
    cameras = _RecordingCameras()
    subscriber = ConfigSubscriber(BrokerConfig(), EDGE_ID, cameras, allow_file_sources=True)
    subscriber.apply(_config(1, str(vtest_clip)))
    assert subscriber.rejected == 0
    assert [camera.url for camera in cameras.applied[0]] == [str(vtest_clip)]


def test_no_cameras_needs_remote_config() -> None:
    assert parse_edge_config({"edge_id": EDGE_ID, "cameras": []}).cameras == []
    with pytest.raises(ConfigError, match="no cameras: list at least one"):
        parse_edge_config({"edge_id": EDGE_ID, "remote_config": False})


def test_a_box_without_cameras_waits_for_central_and_runs_what_it_sends(
    broker: BrokerConfig,
    *,
    vtest_clip: Path,
    models_dir: Path,
    manifest_dirs: list[Path],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    edge_id = f"edge-{uuid.uuid4().hex[:8]}"
    config = parse_edge_config(
        {
            "edge_id": edge_id,
            "broker": broker.model_dump(mode="json"),
            "outbox": {"path": str(tmp_path / "outbox.db")},
            "allow_file_sources_from_central": True,
        }
    )
    watcher = Subscriber(broker, f"{broker.topics.root}/#")
    stop = threading.Event()
    outcome: list[int] = []
    runner = threading.Thread(
        target=lambda: outcome.append(
            run_edge(config, models_dir=models_dir, manifest_dirs=manifest_dirs, stop=stop)
        )
    )
    config_topic = broker.topics.edge_config(edge_id)
    caplog.set_level(logging.WARNING, logger="gridwatch_edge.runtime")
    try:
        runner.start()
        wait_until(lambda: "waiting for central's config" in caplog.text, RUN_TIMEOUT_S)
        assert config_topic in caplog.text
        payload = _config(1, str(vtest_clip)).replace(EDGE_ID.encode(), edge_id.encode())
        watcher.publish_retained(config_topic, payload)
        runner.join(RUN_TIMEOUT_S)
        assert not runner.is_alive(), "the camera central sent never finished"
    finally:
        stop.set()
        runner.join(RUN_TIMEOUT_S)
        watcher.clear_retained(config_topic)
        watcher.clear_retained(broker.topics.edge_status(edge_id))
        watcher.close()
    assert outcome == [0]
    stats_topic = broker.topics.edge_stats(edge_id)
    final = [
        decode_message(EdgeStatsMessage, bytes(message.payload))
        for message in watcher.messages
        if message.topic == stats_topic
    ][-1]
    assert [camera.camera_id for camera in final.cameras] == ["cam-0"]
    assert final.cameras[0].frames_analysed > 0
