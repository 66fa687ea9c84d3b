"""The sensor routes: registry, bulk import with a dry run, samples, and the HTTP way in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client, login
from tests.central.helpers import DEMO_CODES, DEMO_POINT

SENSOR = {
    "id": "wl-1",
    "gateway_id": "gw-1",
    "vendor_code": "HW-WL200",
    "sensor_type": "water_level",
    "lat": DEMO_POINT.lat,
    "lon": DEMO_POINT.lon,
}


def _operator(admin: TestClient, runtime: CentralRuntime) -> TestClient:
    body = {"username": "op", "password": "op-password", "role": "operator",
            "grid_prefixes": [DEMO_CODES[1]]}  # fmt: skip
    assert admin.post("/api/v1/admin/users", json=body).status_code == 201
    client = TestClient(runtime.app)
    login(client, "op", "op-password")
    return client


def test_the_registry_derives_the_grid_and_links_nearby_cameras(
    central_runtime: CentralRuntime,
) -> None:
    admin = admin_client(central_runtime)
    camera = {"id": "cam-1", "edge_id": "edge-1", "name": "路口", "rtsp_url": "rtsp://h/1",
              "location": {"lat": DEMO_POINT.lat + 0.0001, "lon": DEMO_POINT.lon}}  # fmt: skip
    assert admin.post("/api/v1/cameras", json=camera).status_code == 201
    created = admin.post("/api/v1/sensors", json=SENSOR)
    assert created.status_code == 201, created.text
    sensor = created.json()
    codes = (sensor["grid_l1_code"], sensor["grid_l2_code"], sensor["grid_l3_code"])
    assert codes == DEMO_CODES
    assert sensor["cameras"] == [{"camera_id": "cam-1", "edge_id": "edge-1", "how": "radius"}]
    assert sensor["heartbeat_interval_s"] == 600  # the type's
    assert admin.post("/api/v1/sensors", json=SENSOR).status_code == 409
    unknown = admin.post("/api/v1/sensors", json=SENSOR | {"id": "x", "sensor_type": "lidar"})
    assert unknown.status_code == 422
    assert "unknown sensor type" in unknown.text
    explicit = SENSOR | {"linked_cameras": ["cam-404"]}
    assert admin.put("/api/v1/sensors/wl-1", json=explicit).status_code == 422
    upside_down = SENSOR | {"threshold": {"alarm": 50, "clear": 80}}
    assert admin.put("/api/v1/sensors/wl-1", json=upside_down).status_code == 422
    operator = _operator(admin, central_runtime)
    assert operator.get("/api/v1/sensors").json()["total"] == 1
    assert operator.get("/api/v1/sensors/wl-1").status_code == 200
    assert operator.post("/api/v1/sensors", json=SENSOR | {"id": "wl-2"}).status_code == 403
    assert operator.delete("/api/v1/sensors/wl-1").status_code == 403
    assert admin.delete("/api/v1/sensors/wl-1").status_code == 204
    assert admin.get("/api/v1/sensors/wl-1").status_code == 404


def test_a_bulk_import_reports_first_and_writes_all_or_nothing(
    central_runtime: CentralRuntime,
) -> None:
    admin = admin_client(central_runtime)
    header = "id,gateway_id,vendor_code,sensor_type,lat,lon,linked_cameras,alarm,clear\n"
    good = f"gas-1,gw-1,GT-1,gas,{DEMO_POINT.lat},{DEMO_POINT.lon},,30,12\n"
    bad = (
        f"gas-2,gw-1,GT-1,lidar,{DEMO_POINT.lat},{DEMO_POINT.lon},,,\ngas-3,gw-1,GT-1,gas,95,1,,,\n"
    )
    csv_headers = {"content-type": "text/csv"}
    report = admin.post("/api/v1/sensors/import", content=header + good + bad, headers=csv_headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["dry_run"], body["applied"], body["rows"]) == (True, False, 3)
    assert [(p["row"], p["sensor_id"]) for p in body["problems"]] == [(2, "gas-2"), (3, "gas-3")]
    assert admin.get("/api/v1/sensors").json()["total"] == 0
    refused = admin.post(
        "/api/v1/sensors/import?dry_run=false", content=header + good + bad, headers=csv_headers
    )
    assert refused.json()["applied"] is False
    applied = admin.post(
        "/api/v1/sensors/import?dry_run=false", content=header + good, headers=csv_headers
    ).json()
    assert (applied["applied"], applied["created"]) == (True, ["gas-1"])
    sensor = admin.get("/api/v1/sensors/gas-1").json()
    assert sensor["threshold"] == {"alarm": 30.0, "clear": 12.0, "debounce_s": None,
                                   "clear_debounce_s": None}  # fmt: skip
    again = admin.post(
        "/api/v1/sensors/import?dry_run=false",
        json=[SENSOR, SENSOR | {"id": "gas-1", "sensor_type": "gas"}],
    ).json()
    assert (again["created"], again["updated"]) == (["wl-1"], ["gas-1"])
    not_a_file = admin.post("/api/v1/sensors/import", content=b"x", headers={"content-type": "a/b"})
    assert not_a_file.status_code == 422


def _batch(gateway_id: str, sensor_id: str, message_id: uuid.UUID) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "schema_version": 1,
        "message_id": str(message_id),
        "gateway_id": gateway_id,
        "sent_at": now.isoformat(),
        "records": [
            {
                "sensor_id": sensor_id,
                "sensor_type": "water_level",
                "kind": "reading",
                "observed_at": (now - timedelta(seconds=1)).isoformat(),
                "value": 42.0,
            }
        ],
    }


def test_gateways_without_mqtt_post_batches_with_their_own_key(
    central_runtime: CentralRuntime,
) -> None:
    admin = admin_client(central_runtime)
    assert admin.post("/api/v1/sensors", json=SENSOR).status_code == 201
    key = admin.post("/api/v1/admin/api-keys", json={"name": "gw-1", "role": "gateway"}).json()
    gateway = TestClient(central_runtime.app, headers={"X-API-Key": key["api_key"]})
    message_id = uuid.uuid4()
    stored = gateway.post("/api/v1/sensors/batches", json=_batch("gw-1", "wl-1", message_id))
    assert stored.status_code == 200, stored.text
    assert stored.json()["status"] == "stored"
    again = gateway.post("/api/v1/sensors/batches", json=_batch("gw-1", "wl-1", message_id))
    assert again.json()["status"] == "duplicate"
    forged = gateway.post("/api/v1/sensors/batches", json=_batch("gw-2", "wl-1", uuid.uuid4()))
    assert forged.json()["status"] == "rejected"
    assert "topic_mismatch" in forged.json()["reason"]
    assert gateway.get("/api/v1/sensors").status_code == 403  # a gateway reads nothing
    operator = _operator(admin, central_runtime)
    refused = operator.post("/api/v1/sensors/batches", json=_batch("gw-1", "wl-1", uuid.uuid4()))
    assert refused.status_code == 403
    samples = admin.get("/api/v1/sensors/wl-1/samples").json()
    assert [sample["value"] for sample in samples] == [42.0]
    assert admin.get("/api/v1/sensors/wl-1").json()["state"]["last_value"] == 42.0
    period = {"start": "2020-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z"}
    metrics = admin.get("/api/v1/sensors/metrics", params=period)
    assert metrics.status_code == 200
    assert metrics.json() == []
