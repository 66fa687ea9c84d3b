"""An edge process started from the bootstrap file central hands out, and the API calls an
integrator makes to onboard cameras onto it; shared by the onboarding test and benchmark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from tests.central.helpers import DEMO_POINT, wait_until
from tests.conftest import REPO_ROOT

# Everything in view, and a crowd of two for 0.2 s: the sample clip raises one within seconds.
EVERYWHERE = {"id": "everywhere", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}
CROWD = {
    "type": "crowd",
    "id": "crowd",
    "zone": "everywhere",
    "min_persons": 2,
    "min_duration_s": 0.2,
    "update_interval_s": 1,
    "end_after_s": 1,
}
# A loaded 2-core box loads YOLOX and connects within this; the 5 s promise is benchmarked.
STEP_TIMEOUT_S = 90.0


class EdgeProcess:
    """``gridwatch edge run`` on the registered edge's bootstrap file, as a real process."""

    def __init__(self, bootstrap_yaml: str, password: str, work: Path, **extra: Any) -> None:
        document = yaml.safe_load(bootstrap_yaml)
        password_file = work / "broker.password"
        password_file.write_text(password + "\n", encoding="utf-8")
        document["broker"]["password_file"] = str(password_file)
        # Test settings only: stats every second, the outbox in the test's directory.
        document |= {"stats_interval_s": 1, "outbox": {"path": str(work / "outbox.db")}}
        document |= extra
        self.config_path = work / "edge-bootstrap.yaml"
        self.config_path.write_text(yaml.safe_dump(document), encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gridwatch", "edge", "run", "--config"]
        env = {**os.environ, "GRIDWATCH_MODELS_DIR": os.environ["GRIDWATCH_MODELS_DIR"]}
        self._process = subprocess.Popen([*command, str(self.config_path)], cwd=REPO_ROOT, env=env)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def register_edge(client: TestClient, edge_id: str) -> dict[str, Any]:
    response = client.post("/api/v1/edges", json={"id": edge_id, "name": f"box {edge_id}"})
    assert response.status_code == 201, response.text
    registered: dict[str, Any] = response.json()
    return registered


def camera_body(camera_id: str, edge_id: str, url: str, **analysis: Any) -> dict[str, Any]:
    return {
        "id": camera_id,
        "edge_id": edge_id,
        "name": f"camera {camera_id}",
        "rtsp_url": url,
        "location": DEMO_POINT.model_dump(),
        "analysis": {"zones": [EVERYWHERE], "rules": [CROWD], "analysis_fps": 2, **analysis},
    }


def edge_view(client: TestClient, edge_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/edges/{edge_id}")
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def camera_health(client: TestClient, edge_id: str, camera_id: str) -> dict[str, Any] | None:
    cameras = {c["camera_id"]: c for c in edge_view(client, edge_id)["cameras"]}
    return cameras.get(camera_id)


def config_state(client: TestClient, camera_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/cameras/{camera_id}")
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()["config"]
    return state


def wait_for_state(client: TestClient, camera_id: str, state: str) -> dict[str, Any]:
    wait_until(lambda: config_state(client, camera_id)["state"] == state, timeout_s=STEP_TIMEOUT_S)
    return config_state(client, camera_id)


def wait_analysing(client: TestClient, edge_id: str, camera_id: str, more_than: int = 0) -> int:
    """Until the edge reports the camera with more analysed frames than ``more_than``."""
    seen = [0]

    def analysing() -> bool:
        health = camera_health(client, edge_id, camera_id)
        seen[0] = health["frames_analysed"] if health is not None else 0
        return seen[0] > more_than

    wait_until(analysing, timeout_s=STEP_TIMEOUT_S)
    return seen[0]
