"""Camera onboarding: from the API call that adds a camera to its first analysed frame.

``GRIDWATCH_MODELS_DIR=... GRIDWATCH_SAMPLES_DIR=... python -m benchmarks.onboarding
[--changes 20] [--clip vtest_h264.mp4]``

A private Mosquitto, central in this process (SQLite), a real GStreamer RTSP camera
(tools/rtsp_server.py) and ``gridwatch edge run`` in its own process, started from the
bootstrap file central returned when the edge was registered (no camera). Each change is a
``POST /api/v1/cameras`` of a new camera on that RTSP stream, measured from just before the call
to:

- ``applied_s``: the edge's status message saying it applied the revision carrying the camera;
- ``first_read_s``: the first stats message counting a frame read (decoded) from its stream;
- ``first_frame_s``: the first stats message of the edge counting an analysed frame of it.

The edge sends stats every ``STATS_INTERVAL_S`` (0.2 s here, 30 s by default), so the first
frame is seen up to that much late. After each measurement the camera is deleted again, so
every change starts a camera on an edge already running one other (``steady``).

Last line: one JSON object. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from gridwatch.mosquitto import ManagedMosquitto
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import decode_message
from gridwatch_contract.messages import EdgeStatsMessage, EdgeStatusMessage
from tests.central.api.clients import admin_client
from tests.central.helpers import make_config
from tests.e2e.onboarding import EdgeProcess, camera_body, register_edge
from tests.edge.sources.rtsp_server import RtspServer

EDGE_ID = "edge-bench-onboard"
# Fine-grained stats so the first analysed frame is seen within 0.2 s of happening.
STATS_INTERVAL_S = 0.2
# A loaded 2-core box: the edge process loads its model and connects within this.
START_CAP_S = 120.0
# One change that never shows up must not hang the run.
CHANGE_CAP_S = 60.0


class EdgeWatch:
    """The edge's status and stats topics, as they arrive (monotonic receive times)."""

    def __init__(self, broker: BrokerConfig) -> None:
        self._topics = broker.topics
        self._lock = threading.Condition()
        self.applied: list[tuple[float, int]] = []
        self.analysed: dict[str, float] = {}
        self.read: dict[str, float] = {}
        self._client = make_client(broker, broker.client_id("bench", "watch"))
        self._client.on_connect = lambda client, *_: client.subscribe(
            [(self._topics.edge_status(EDGE_ID), 1), (self._topics.edge_stats(EDGE_ID), 0)]
        )
        self._client.on_message = self._on_message
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        with self._lock:
            if message.topic.endswith("/status"):
                status = decode_message(EdgeStatusMessage, bytes(message.payload))
                if status.config is not None and status.config.applied_revision is not None:
                    self.applied.append((now, status.config.applied_revision))
            else:
                stats = decode_message(EdgeStatsMessage, bytes(message.payload))
                for camera in stats.cameras:
                    if camera.frames_read > 0:
                        self.read.setdefault(camera.camera_id, now)
                    if camera.frames_analysed > 0:
                        self.analysed.setdefault(camera.camera_id, now)
            self._lock.notify_all()

    def wait_applied(self, revision: int, timeout_s: float) -> float | None:
        with self._lock:
            self._lock.wait_for(lambda: any(r >= revision for _, r in self.applied), timeout_s)
            return next((at for at, r in self.applied if r >= revision), None)

    def wait_analysed(self, camera_id: str, timeout_s: float) -> float | None:
        with self._lock:
            self._lock.wait_for(lambda: camera_id in self.analysed, timeout_s)
            return self.analysed.get(camera_id)


def run(changes: int, clip: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, ManagedMosquitto() as mosquitto:
        work = Path(folder)
        camera = RtspServer(clip, mount="/bench")
        url = camera.start()
        central = CentralRuntime(
            make_config(f"sqlite:///{work / 'central.db'}", mosquitto.config, work)
        )
        central.start()
        watch = EdgeWatch(mosquitto.config)
        try:
            client = admin_client(central)
            registered = register_edge(client, EDGE_ID)
            edge = EdgeProcess(registered["bootstrap_yaml"], registered["broker"]["password"], work)
            edge.config_path.write_text(
                edge.config_path.read_text().replace(
                    "stats_interval_s: 1", f"stats_interval_s: {STATS_INTERVAL_S}"
                ),
                encoding="utf-8",
            )
            edge.start()
            try:
                return _measure(client, watch, url, changes)
            finally:
                edge.stop()
        finally:
            watch.close()
            central.stop()
            camera.stop()


def _measure(client: Any, watch: EdgeWatch, url: str, changes: int) -> dict[str, Any]:
    if watch.wait_applied(1, START_CAP_S) is None:
        raise RuntimeError("the edge never applied its first config")
    # One camera kept running throughout: each change lands on a busy edge, as in the field.
    assert (
        client.post("/api/v1/cameras", json=camera_body("steady", EDGE_ID, url)).status_code == 201
    )
    if watch.wait_analysed("steady", START_CAP_S) is None:
        raise RuntimeError("the steady camera never analysed a frame")
    applied: list[float] = []
    first_frame: list[float] = []
    first_read: list[float] = []
    missed = 0
    for index in range(changes):
        camera_id = f"bench-{index}"
        started = time.monotonic()
        response = client.post("/api/v1/cameras", json=camera_body(camera_id, EDGE_ID, url))
        assert response.status_code == 201, response.text
        revision = response.json()["config"]["revision"]
        applied_at = watch.wait_applied(revision, CHANGE_CAP_S)
        analysed_at = watch.wait_analysed(camera_id, CHANGE_CAP_S)
        if applied_at is None or analysed_at is None:
            missed += 1
        else:
            applied.append(applied_at - started)
            first_frame.append(analysed_at - started)
            first_read.append(watch.read.get(camera_id, analysed_at) - started)
        assert client.delete(f"/api/v1/cameras/{camera_id}").status_code == 204
        time.sleep(1.0)  # let the edge settle back to the steady camera alone
    return {
        "changes": changes,
        "missed": missed,
        "stats_interval_s": STATS_INTERVAL_S,
        "applied_s": _summary(applied),
        "first_read_s": _summary(first_read),
        "first_frame_s": _summary(first_frame),
    }


def _summary(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
        "min": round(ordered[0], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--clip", default="vtest_h264.mp4", help="under GRIDWATCH_SAMPLES_DIR")
    args = parser.parse_args()
    clip = Path(os.environ["GRIDWATCH_SAMPLES_DIR"]) / args.clip
    result = run(args.changes, clip)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
