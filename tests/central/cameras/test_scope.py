"""Who manages and who sees which camera (issue 11): integrators and admins write cameras,
only within their grids; readers see the cameras standing in or looking into their grids;
department handlers see none. Outside the scope is as missing (404), never 403."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client, login

STREET_A = "500240101"  # the example district's two streets
STREET_B = "500240102"
IN_A = {"lat": 30.2290, "lon": 108.3985}
IN_B = {"lat": 30.2250, "lon": 108.4150}
CAMERAS = "/api/v1/cameras"


def _camera(camera_id: str, location: dict[str, float]) -> dict[str, Any]:
    return {
        "id": camera_id,
        "edge_id": "edge-hs-01",
        "name": camera_id,
        "rtsp_url": "rtsp://10.50.1.11:554/stream",
        "location": location,
    }


def _key(admin: TestClient, runtime: CentralRuntime, prefixes: list[str]) -> TestClient:
    body = {"name": "city-brain", "role": "integrator", "grid_prefixes": prefixes}
    created = admin.post("/api/v1/admin/api-keys", json=body)
    assert created.status_code == 201, created.text
    return TestClient(runtime.app, headers={"X-API-Key": created.json()["api_key"]})


def _person(admin: TestClient, runtime: CentralRuntime, role: str, **scope: Any) -> TestClient:
    name = f"{role.replace('_', '-')}-a"
    body = {"username": name, "password": f"{name}-pw", "role": role, **scope}
    assert admin.post("/api/v1/admin/users", json=body).status_code == 201
    client = TestClient(runtime.app)
    login(client, name, f"{name}-pw")
    return client


def test_cameras_are_managed_and_seen_within_the_callers_grids(runtime: CentralRuntime) -> None:
    admin = admin_client(runtime)
    integrator = _key(admin, runtime, [STREET_A])
    assert integrator.post(CAMERAS, json=_camera("cam-a", IN_A)).status_code == 201
    refused = integrator.post(CAMERAS, json=_camera("cam-b", IN_B))
    assert refused.status_code == 403
    assert admin.post(CAMERAS, json=_camera("cam-b", IN_B)).status_code == 201

    # Street B's camera does not exist for street A's integrator.
    assert [c["id"] for c in integrator.get(CAMERAS).json()["items"]] == ["cam-a"]
    assert integrator.get(f"{CAMERAS}/cam-b").status_code == 404
    fields = {k: v for k, v in _camera("cam-b", IN_B).items() if k != "id"}
    assert integrator.put(f"{CAMERAS}/cam-b", json=fields).status_code == 404
    assert integrator.delete(f"{CAMERAS}/cam-b").status_code == 404
    # Nor may it move its own camera into street B.
    assert integrator.put(f"{CAMERAS}/cam-a", json=fields).status_code == 403

    operator = _person(admin, runtime, "operator", grid_prefixes=[STREET_A])
    assert [c["id"] for c in operator.get(CAMERAS).json()["items"]] == ["cam-a"]
    assert operator.post(CAMERAS, json=_camera("cam-c", IN_A)).status_code == 403
    assert operator.delete(f"{CAMERAS}/cam-a").status_code == 403
    assert operator.post("/api/v1/grids/import", json={}).status_code == 403
    handler = _person(admin, runtime, "department_handler", departments=["城管"])
    assert handler.get(CAMERAS).status_code == 403
    assert admin.get(CAMERAS).json()["total"] == 2
    assert integrator.delete(f"{CAMERAS}/cam-a").status_code == 204
