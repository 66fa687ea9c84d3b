"""Camera onboarding end to end with real processes: a real GStreamer RTSP server, the real
broker, central, and an edge process started from the bootstrap file central handed out, with
no camera. An integrator adds cameras through the API; the edge runs them and its alerts reach
central; a zone change leaves the other camera running; a config the edge refuses is reported
per camera; an edge that was away during a change catches up when it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gridwatch_central.db.tables import AlertRow
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client
from tests.central.helpers import wait_until
from tests.e2e.onboarding import (
    CROWD,
    EVERYWHERE,
    STEP_TIMEOUT_S,
    EdgeProcess,
    camera_body,
    camera_health,
    config_state,
    edge_view,
    register_edge,
    wait_analysing,
    wait_for_state,
)
from tests.edge.sources.rtsp_server import RtspServer

EDGE_ID = "edge-onboard-e2e"
# Central allow-lists 10/8 (tests/central/helpers.test_onboarding); this box's own YAML allows
# only its loopback test cameras, so it refuses a camera central accepted on 10/8.
OUTSIDE_THE_BOX_POLICY = "rtsp://10.9.9.9:554/ch1"
# Nothing listens on the loopback's discard port: the stream cannot be opened.
UNREACHABLE = "rtsp://127.0.0.1:9/live"


@pytest.fixture
def streams(samples_dir: Path) -> Iterator[tuple[str, str]]:
    first = RtspServer(samples_dir / "vtest_h264.mp4", mount="/north")
    second = RtspServer(samples_dir / "vtest_h264.mp4", mount="/south")
    try:
        yield first.start(), second.start()
    finally:
        first.stop()
        second.stop()


def _alerts_of(central: CentralRuntime, camera_id: str) -> int:
    with central.sessions() as session:
        query = select(func.count()).select_from(AlertRow).where(AlertRow.camera_id == camera_id)
        return int(session.scalar(query) or 0)


@pytest.mark.rtsp
def test_cameras_onboarded_from_central_run_on_an_edge_started_with_none(
    central_runtime: CentralRuntime, streams: tuple[str, str], tmp_path: Path
) -> None:
    north_url, south_url = streams
    client = admin_client(central_runtime)
    registered = register_edge(client, EDGE_ID)
    assert registered["broker"]["username"] == f"edge.{EDGE_ID}"
    assert "camera_url_policy" in registered["bootstrap_yaml"]
    edge = EdgeProcess(
        registered["bootstrap_yaml"],
        registered["broker"]["password"],
        tmp_path,
        camera_url_policy={"allow_cidrs": ["127.0.0.0/8"]},
    )
    edge.start()
    try:
        # Started with no camera: it takes revision 1 (none) and says so.
        wait_until(
            lambda: edge_view(client, EDGE_ID)["config"]["applied_revision"] == 1,
            timeout_s=STEP_TIMEOUT_S,
        )
        assert edge_view(client, EDGE_ID)["cameras"] == []
        _a_camera_added_runs_and_alerts(client, central_runtime, north_url)
        _a_zone_change_leaves_the_other_camera_running(client, south_url)
        _a_refused_camera_is_reported_and_changes_nothing(client)
        _an_unreachable_camera_is_offline_and_the_others_run(client)
        _an_edge_away_during_a_change_catches_up(client, edge)
    finally:
        edge.stop()


def _a_camera_added_runs_and_alerts(client: TestClient, central: CentralRuntime, url: str) -> None:
    created = client.post("/api/v1/cameras", json=camera_body("north", EDGE_ID, url))
    assert created.status_code == 201, created.text
    assert created.json()["config"]["state"] in {"pending", "applied"}
    assert wait_for_state(client, "north", "applied")["applied_revision"] == 2
    wait_analysing(client, EDGE_ID, "north")
    wait_until(lambda: _alerts_of(central, "north") > 0, timeout_s=STEP_TIMEOUT_S)


def _a_zone_change_leaves_the_other_camera_running(client: TestClient, url: str) -> None:
    assert (
        client.post("/api/v1/cameras", json=camera_body("south", EDGE_ID, url)).status_code == 201
    )
    wait_for_state(client, "south", "applied")
    wait_analysing(client, EDGE_ID, "south")
    before = camera_health(client, EDGE_ID, "south")
    assert before is not None
    left_half = {**EVERYWHERE, "polygon": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}
    changed = client.put(
        "/api/v1/cameras/north/analysis", json={"zones": [left_half], "rules": [CROWD]}
    )
    assert changed.status_code == 200, changed.text
    revision = changed.json()["config"]["revision"]
    assert wait_for_state(client, "north", "applied")["applied_revision"] >= revision
    wait_analysing(client, EDGE_ID, "south", more_than=before["frames_analysed"])
    after = camera_health(client, EDGE_ID, "south")
    assert after is not None
    # The same pipeline, still counting: a restarted camera would count from zero again.
    assert after["frames_read"] >= before["frames_read"]
    assert after["reconnects_last_hour"] == before["reconnects_last_hour"]


def _a_refused_camera_is_reported_and_changes_nothing(client: TestClient) -> None:
    bad = camera_body("outside", EDGE_ID, OUTSIDE_THE_BOX_POLICY)
    assert client.post("/api/v1/cameras", json=bad).status_code == 201
    refused = wait_for_state(client, "outside", "failed")
    assert refused["reason"].startswith("url: the camera address is a private address")
    assert refused["summary"] == f"failed: {refused['reason']}"
    assert "10.9.9.9" in edge_view(client, EDGE_ID)["config"]["camera_errors"]["outside"]
    # The previous revision keeps running.
    north = camera_health(client, EDGE_ID, "north")
    assert north is not None
    wait_analysing(client, EDGE_ID, "north", more_than=north["frames_analysed"])
    assert client.delete("/api/v1/cameras/outside").status_code == 204
    wait_for_state(client, "north", "applied")


def _an_unreachable_camera_is_offline_and_the_others_run(client: TestClient) -> None:
    assert (
        client.post("/api/v1/cameras", json=camera_body("dead", EDGE_ID, UNREACHABLE)).status_code
        == 201
    )
    wait_for_state(client, "dead", "applied")
    wait_until(
        lambda: (camera_health(client, EDGE_ID, "dead") or {}).get("last_error") is not None,
        timeout_s=STEP_TIMEOUT_S,
    )
    dead = camera_health(client, EDGE_ID, "dead")
    assert dead is not None
    assert dead["online"] is False
    south = camera_health(client, EDGE_ID, "south")
    assert south is not None
    wait_analysing(client, EDGE_ID, "south", more_than=south["frames_analysed"])


def _an_edge_away_during_a_change_catches_up(client: TestClient, edge: EdgeProcess) -> None:
    edge.stop()
    wait_until(lambda: edge_view(client, EDGE_ID)["state"] == "offline", timeout_s=30)
    changed = client.put("/api/v1/cameras/north/analysis", json={"zones": [EVERYWHERE]})
    assert changed.status_code == 200
    latest = changed.json()["config"]["revision"]
    assert config_state(client, "north")["state"] == "pending"
    edge.start()
    assert wait_for_state(client, "north", "applied")["applied_revision"] >= latest
    wait_analysing(client, EDGE_ID, "north")
