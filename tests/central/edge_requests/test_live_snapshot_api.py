"""GET /api/v1/cameras/{id}/live-snapshot through the real central, broker and a real edge:
the camera's edge comes from the registry, the picture from the edge, errors say why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gridwatch_central.db import grid_repository
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import EdgeAvailability, EdgeStatusMessage
from gridwatch_edge.detector import Detector
from tests.central.api.clients import admin_client, login
from tests.central.helpers import DEMO_POINT, wait_until
from tests.edge.mqtt_helpers import Subscriber
from tests.edge.requests.live_edge import (
    clip_camera,
    decoded,
    edge_config,
    live_edge,
    wait_for_frames,
)

STREET = "500240101"  # the street holding the demo point in the example grid
OTHER_STREET = "500240102"


def _register(admin: TestClient, camera_id: str, edge_id: str) -> None:
    body = {
        "id": camera_id,
        "edge_id": edge_id,
        "name": camera_id,
        "rtsp_url": "rtsp://10.0.0.7/main",
        "location": {"lat": DEMO_POINT.lat, "lon": DEMO_POINT.lon},
    }
    created = admin.post("/api/v1/cameras", json=body)
    assert created.status_code == 201, created.text


def _user(admin: TestClient, runtime: CentralRuntime, role: str, prefix: str) -> TestClient:
    name = f"{role}-{prefix}"
    body = {"username": name, "password": f"{name}-pw", "role": role, "grid_prefixes": [prefix]}
    assert admin.post("/api/v1/admin/users", json=body).status_code == 201
    client = TestClient(runtime.app)
    login(client, name, f"{name}-pw")
    return client


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    detail: str = body["detail"]
    return detail


def test_live_snapshot_of_a_registered_camera_in_scope(
    central_runtime: CentralRuntime, vtest_clip: Path, yolox: Detector
) -> None:
    runtime = central_runtime
    broker = runtime.config.broker
    edge_id = f"edge-{uuid.uuid4().hex[:8]}"
    admin = admin_client(runtime)
    _register(admin, "gate", edge_id)
    _register(admin, "lost", "edge-nobody")
    config = edge_config(broker, edge_id, [clip_camera("gate", vtest_clip)])
    with live_edge(config, yolox) as (edge, _handler):
        wait_for_frames(edge, "gate")
        url = "/api/v1/cameras/gate/live-snapshot"
        full = admin.get(url, params={"timeout_s": 20})
        assert full.status_code == 200, full.text
        assert full.headers["content-type"] == "image/jpeg"
        assert full.headers["cache-control"] == "no-store"
        assert full.headers["x-edge-id"] == edge_id
        assert datetime.fromisoformat(full.headers["x-captured-at"]) <= datetime.now(UTC)
        assert decoded(full.content).shape == (576, 768, 3)
        small = admin.get(url, params={"timeout_s": 20, "max_width": 384})
        assert decoded(small.content).shape == (288, 384, 3)

        operator = _user(admin, runtime, "operator", STREET)
        assert operator.get(url, params={"timeout_s": 20}).status_code == 200
        outsider = _user(admin, runtime, "operator", OTHER_STREET)
        _error(outsider.get(url), 404, "not_found")
        dispatcher = _user(admin, runtime, "dispatcher", STREET)
        _error(dispatcher.get(url), 403, "forbidden")
        key = admin.post("/api/v1/admin/api-keys", json={"name": "city", "grid_prefixes": [STREET]})
        integrator = TestClient(runtime.app, headers={"X-API-Key": key.json()["api_key"]})
        assert integrator.get(url, params={"timeout_s": 20}).status_code == 200

    _error(admin.get("/api/v1/cameras/nowhere/live-snapshot"), 404, "not_found")
    lost = admin.get("/api/v1/cameras/lost/live-snapshot", params={"timeout_s": 0.3})
    assert "did not answer" in _error(lost, 504, "timeout")


def test_a_camera_without_edge_or_with_an_offline_edge_is_a_conflict(
    central_runtime: CentralRuntime,
) -> None:
    runtime = central_runtime
    admin = admin_client(runtime)
    _register(admin, "gone", "edge-gone")
    _register(admin, "orphan", "edge-orphan")
    with runtime.sessions() as session:  # stored before edge_id was checked, say
        row = grid_repository.get_camera(session, "orphan")
        assert row is not None
        grid_repository.update_camera(session, row, {"edge_id": ""})
        session.commit()
    orphan = admin.get("/api/v1/cameras/orphan/live-snapshot")
    assert "has no edge in the camera registry" in _error(orphan, 409, "camera_without_edge")

    broker = runtime.config.broker
    status_topic = broker.topics.edge_status("edge-gone")
    mqtt = Subscriber(broker, status_topic)
    try:
        offline = EdgeStatusMessage(
            edge_id="edge-gone",
            state=EdgeAvailability.OFFLINE,
            at=datetime.now(UTC),
            software_version="test",
        )
        mqtt.publish(status_topic, encode_message(offline), retain=True)
        client = runtime.edge_requests
        wait_until(lambda: client.edge_availability("edge-gone") is EdgeAvailability.OFFLINE)
        gone = admin.get("/api/v1/cameras/gone/live-snapshot", params={"timeout_s": 30})
        assert "edge-gone is offline" in _error(gone, 409, "edge_offline")
    finally:
        mqtt.clear_retained(status_topic)
        mqtt.close()
