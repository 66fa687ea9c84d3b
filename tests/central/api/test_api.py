"""The HTTP API over a started runtime, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import AlertState, EventType, GeoPoint
from tests.central.api.clients import admin_client
from tests.central.helpers import DEMO_CODES, TINY_JPEG, make_alert

TOPIC = "gridwatch/v1/alerts/edge-01/cam-01/crowd"


def _ingest(runtime: CentralRuntime, **overrides: object) -> uuid.UUID:
    alert = make_alert(**overrides)
    assert runtime.ingest.handle(TOPIC, encode_message(alert)).status == "stored"
    return alert.alert_id


def test_alert_list_filters_and_pagination(runtime: CentralRuntime) -> None:
    for _ in range(3):
        _ingest(runtime)
    _ingest(runtime, camera_id="cam-02", event_type=EventType.ILLEGAL_PARKING)
    _ingest(runtime, camera_id="cam-03", location=GeoPoint(lat=30.2250, lon=108.4150))
    client = admin_client(runtime)

    everything = client.get("/api/v1/alerts").json()
    assert everything["total"] == 5
    page = client.get("/api/v1/alerts", params={"limit": 2, "offset": 4}).json()
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (5, 1, 2, 4)

    def total(**params: str) -> int:
        response = client.get("/api/v1/alerts", params=params)
        assert response.status_code == 200, response.text
        value: int = response.json()["total"]
        return value

    assert total(camera_id="cam-02") == 1
    assert total(event_type="illegal_parking") == 1
    assert total(grid_code=DEMO_CODES[0]) == 4
    assert total(grid_code=DEMO_CODES[2]) == 4
    assert total(grid_code="500240102000000") == 1
    assert client.get("/api/v1/alerts", params={"event_type": "fire"}).status_code == 422
    assert client.get("/api/v1/alerts", params={"limit": 0}).status_code == 422


def test_alert_detail_and_snapshot_bytes(runtime: CentralRuntime) -> None:
    alert_id = _ingest(runtime)
    client = admin_client(runtime)
    detail = client.get(f"/api/v1/alerts/{alert_id}").json()
    assert detail["alert_id"] == str(alert_id)
    assert detail["location"] == {"lat": 30.229, "lon": 108.3985}
    assert (detail["grid_l1_code"], detail["grid_l2_code"], detail["grid_l3_code"]) == DEMO_CODES
    assert detail["objects"][0]["class_name"] == "person"
    assert detail["snapshot_url"] == f"/api/v1/alerts/{alert_id}/snapshot"
    image = client.get(detail["snapshot_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content == TINY_JPEG


def test_missing_things_are_typed_404s(runtime: CentralRuntime) -> None:
    no_snapshot = _ingest(runtime, snapshot=None)
    client = admin_client(runtime)
    for path in (
        f"/api/v1/alerts/{uuid.uuid4()}",
        f"/api/v1/alerts/{uuid.uuid4()}/snapshot",
        f"/api/v1/alerts/{no_snapshot}/snapshot",
        "/api/v1/cases/999999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert set(response.json()) == {"code", "detail"}
        assert "not found" in response.json()["detail"] or "no stored" in response.json()["detail"]
    schema = client.get("/openapi.json").json()
    get_case = schema["paths"]["/api/v1/cases/{case_id}"]["get"]
    assert get_case["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


def test_cases_list_filter_and_detail_with_timeline(runtime: CentralRuntime) -> None:
    new = make_alert()
    end = make_alert(
        event_id=new.event_id, sequence=1, state=AlertState.END, started_at=new.started_at
    )
    for alert in (new, end):
        runtime.ingest.handle(TOPIC, encode_message(alert))
    _ingest(runtime, location=None)
    client = admin_client(runtime)
    for incident in client.get("/api/v1/incidents").json()["items"]:
        verified = client.post(f"/api/v1/incidents/{incident['id']}/verify", json={})
        assert verified.status_code == 200, verified.text

    cases = client.get("/api/v1/cases").json()
    assert cases["total"] == 2
    assert {c["state"] for c in cases["items"]} == {"REGISTERED"}
    assert client.get("/api/v1/cases", params={"state": "CLOSED"}).json()["total"] == 0
    in_grid = client.get("/api/v1/cases", params={"grid_code": DEMO_CODES[1]}).json()
    assert in_grid["total"] == 1
    assert client.get("/api/v1/cases", params={"limit": 1, "offset": 1}).json()["items"]

    case_id = in_grid["items"][0]["id"]
    detail = client.get(f"/api/v1/cases/{case_id}").json()
    assert detail["first_alert_id"] == str(new.alert_id)
    assert detail["case_number"].startswith("GW-")
    assert [a["alert_id"] for a in detail["alerts"]] == [str(new.alert_id), str(end.alert_id)]
    assert [(t["action"], t["to_state"]) for t in detail["timeline"]] == [
        ("registered", "REGISTERED")
    ]


def test_quarantine_stats_metrics_and_health(runtime: CentralRuntime) -> None:
    _ingest(runtime)
    runtime.ingest.handle(TOPIC, b"[1, 2]")
    client = admin_client(runtime)

    quarantined = client.get("/api/v1/ingest/quarantine").json()
    assert quarantined["total"] == 1
    item = quarantined["items"][0]
    assert (item["topic"], item["error_code"], item["size_bytes"]) == (TOPIC, "not_an_object", 6)
    assert (item["kept_bytes"], item["sha256"]) == (6, hashlib.sha256(b"[1, 2]").hexdigest())
    assert "payload" not in item
    stats = client.get("/api/v1/ingest/stats").json()
    assert stats == {
        "received": 2,
        "stored": 1,
        "duplicates": 0,
        "rejected": {"not_an_object": 1},
        "rejected_total": 1,
    }
    metrics = client.get("/metrics")
    assert 'gridwatch_ingest_rejected_total{code="not_an_object"} 1.0' in metrics.text
    assert "gridwatch_ingest_unacked_deliveries 0.0" in metrics.text
    assert "gridwatch_ingest_outage 0.0" in metrics.text
    health = client.get("/healthz").json()
    assert health == {
        "status": "ok",
        "database": True,
        "mqtt": True,
        "ingest": {
            "unacked_deliveries": 0,
            "oldest_unacked_age_s": None,
            "outage": False,
            "outage_for_s": None,
            "last_commit_age_s": None,  # handle() is no MQTT delivery
            "stalled": False,
        },
        "detail": None,
    }
    assert client.get("/readyz").json() == {"ready": True, "detail": None}
    runtime.stop()
    unhealthy = client.get("/healthz")
    assert unhealthy.status_code == 503
    assert unhealthy.json()["mqtt"] is False
    unready = client.get("/readyz")
    assert unready.status_code == 503
    assert unready.json()["detail"] == "not connected and subscribed to the MQTT broker"
