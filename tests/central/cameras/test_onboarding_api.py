"""Cameras configured from central: zones and rules checked by the edge's own models, the URL
policy, encrypted URLs, the config pushed to the registered edge (retained, revisioned, with
the credentials only there), what the edge reports shown per camera, and bulk import."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gridwatch_central.cameras.vault import CameraKeyError, UrlVault
from gridwatch_central.db import edge_config_repository
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import decode_message, encode_message
from gridwatch_contract.messages import (
    CameraConfigProblem,
    ConfigReport,
    EdgeAvailability,
    EdgeConfigMessage,
    EdgeStatusMessage,
)
from tests.central.api.clients import admin_client
from tests.central.helpers import wait_until
from tests.edge.mqtt_helpers import Subscriber

SECRET = "s3cr3t-Pa55"
EDGE_A, EDGE_B = "edge-hs-01", "edge-hs-02"
ZONE = {"id": "square", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}
RULE = {"type": "crowd", "id": "crowd", "zone": "square", "min_persons": 5, "min_duration_s": 10}


def _camera(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "cam-a",
        "edge_id": EDGE_A,
        "name": "集镇十字路口",
        "rtsp_url": f"rtsp://admin:{SECRET}@10.50.1.11:554/ch1",
        "location": {"lat": 30.2300, "lon": 108.4000},
        "heading_deg": 135,
        "national_code": "50024010001310000001",
        "analysis": {"zones": [ZONE], "rules": [RULE], "analysis_fps": 3},
    }
    body.update(overrides)
    return body


def _retained_config(broker: BrokerConfig, edge_id: str, revision: int) -> EdgeConfigMessage:
    subscriber = Subscriber(broker, broker.topics.edge_config(edge_id))
    try:
        found: list[EdgeConfigMessage] = []

        def arrived() -> bool:
            messages = [
                decode_message(EdgeConfigMessage, bytes(m.payload)) for m in subscriber.messages
            ]
            found[:] = [m for m in messages if m.revision >= revision]
            return bool(found)

        wait_until(arrived, timeout_s=10)
        return found[-1]
    finally:
        subscriber.close()


def test_zones_and_rules_are_checked_by_the_edges_own_models(huangshui: CentralRuntime) -> None:
    client = admin_client(huangshui)
    created = client.post("/api/v1/cameras", json=_camera())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["analysis"]["zones"][0]["id"] == "square"
    assert body["analysis"]["rules"][0]["min_persons"] == 5
    assert (body["heading_deg"], body["national_code"]) == (135, "50024010001310000001")
    assert body["config"]["state"] == "pending"
    assert "is not registered" in body["config"]["reason"]
    assert SECRET not in created.text

    wrong_zone = {**RULE, "zone": "nowhere"}
    refused = client.put(
        "/api/v1/cameras/cam-a/analysis", json={"zones": [ZONE], "rules": [wrong_zone]}
    )
    assert refused.status_code == 422
    assert "refers to zone 'nowhere'" in refused.text
    outside = {"zones": [{"id": "z", "polygon": [[0, 0], [1.5, 0], [1, 1]]}]}
    refused = client.put("/api/v1/cameras/cam-a/analysis", json=outside)
    assert refused.status_code == 422
    assert "outside the relative range" in refused.text
    assert client.get("/api/v1/cameras/cam-a/analysis").json()["rules"][0]["zone"] == "square"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("rtsp://169.254.169.254/latest", "the cloud metadata address"),
        ("rtsp://0x7f000001/a", "non-standard notation"),
        ("rtsp://[::1]/a", "a loopback address"),
        ("rtsp://192.168.1.5/a", "a private address"),
    ],
)
def test_the_url_policy_refuses_internal_addresses(
    huangshui: CentralRuntime, url: str, reason: str
) -> None:
    """The test config allow-lists 127.0.0.0/8 and 10.0.0.0/8 only (explicitly)."""
    client = admin_client(huangshui)
    refused = client.post("/api/v1/cameras", json=_camera(rtsp_url=url))
    assert refused.status_code == 422
    assert reason in refused.json()["detail"]


def test_without_a_key_camera_urls_cannot_be_stored() -> None:
    vault = UrlVault(None, source="nowhere")
    with pytest.raises(CameraKeyError, match="GRIDWATCH_CAMERA_KEY"):
        vault.encrypt("rtsp://a/b")
    with pytest.raises(CameraKeyError, match="not a Fernet key"):
        UrlVault("not-a-key", source="test")


def test_a_registered_edge_gets_its_config_and_its_report_is_shown(
    huangshui: CentralRuntime, broker: BrokerConfig
) -> None:
    client = admin_client(huangshui)
    registered = client.post("/api/v1/edges", json={"id": EDGE_A, "name": "十字路口机箱"})
    assert registered.status_code == 201, registered.text
    assert registered.json()["broker"]["password"]
    assert client.post("/api/v1/edges", json={"id": EDGE_A, "name": "again"}).status_code == 409
    assert client.post("/api/v1/cameras", json=_camera()).status_code == 201

    config = _retained_config(broker, EDGE_A, revision=2)
    (camera,) = config.cameras
    # The edge (and only its config topic) gets the URL with its credentials.
    assert camera["url"] == f"rtsp://admin:{SECRET}@10.50.1.11:554/ch1"
    assert camera["zones"][0]["id"] == "square"
    assert client.get("/api/v1/cameras/cam-a").json()["config"]["state"] == "pending"

    # The edge applies it and says so on its status topic.
    _report(broker, EDGE_A, ConfigReport(applied_revision=config.revision))
    wait_until(lambda: _state(client, "cam-a") == "applied")
    # A later revision refused, with the camera's reason.
    problem = CameraConfigProblem(camera="cam-a", reason="zones.0: bad polygon")
    _report(
        broker,
        EDGE_A,
        ConfigReport(
            applied_revision=config.revision,
            rejected_revision=config.revision + 1,
            error="refused",
            cameras=[problem],
        ),
    )
    assert client.put("/api/v1/cameras/cam-a/analysis", json={"zones": [ZONE]}).status_code == 200
    wait_until(lambda: _state(client, "cam-a") == "failed")
    shown = client.get("/api/v1/cameras/cam-a").json()["config"]
    assert shown["summary"] == "failed: zones.0: bad polygon"
    edge = client.get(f"/api/v1/edges/{EDGE_A}").json()
    assert edge["registered"] is True
    assert edge["config"]["camera_errors"] == {"cam-a": "zones.0: bad polygon"}


def test_moving_a_camera_republishes_both_edges(
    huangshui: CentralRuntime, broker: BrokerConfig
) -> None:
    client = admin_client(huangshui)
    for edge_id in (EDGE_A, EDGE_B):
        assert (
            client.post("/api/v1/edges", json={"id": edge_id, "name": edge_id}).status_code == 201
        )
    assert client.post("/api/v1/cameras", json=_camera()).status_code == 201
    before = _retained_config(broker, EDGE_A, revision=2)
    moved = {k: v for k, v in _camera(edge_id=EDGE_B).items() if k != "id"}
    assert client.put("/api/v1/cameras/cam-a", json=moved).status_code == 200
    assert _retained_config(broker, EDGE_A, revision=before.revision + 1).cameras == []
    assert [c["id"] for c in _retained_config(broker, EDGE_B, revision=2).cameras] == ["cam-a"]
    assert client.delete(f"/api/v1/edges/{EDGE_B}").status_code == 409  # it has a camera
    disabled = {**moved, "enabled": False}
    assert (
        client.put("/api/v1/cameras/cam-a", json=disabled).json()["config"]["state"] == "disabled"
    )
    assert _retained_config(broker, EDGE_B, revision=3).cameras == []


CSV = """国标编码,名称,取流地址,经度,纬度,边缘节点
50024010001310000001,集镇十字路口,rtsp://admin:{secret}@10.50.1.11:554/ch1,108.4000,30.2300,edge-hs-01
50024010001310000002,学校门口,rtsp://10.50.1.12:554/ch1,108.4010,30.2310,edge-hs-01
5002401000131,短编码,rtsp://10.50.1.13/ch1,108.4,30.23,edge-hs-01
50024010001310000004,元数据,rtsp://169.254.169.254/x,108.4,30.23,edge-hs-01
"""


def test_import_dry_run_reports_rows_then_applies_a_clean_list(huangshui: CentralRuntime) -> None:
    client = admin_client(huangshui)
    headers = {"content-type": "text/csv"}
    text = CSV.format(secret=SECRET)
    dry = client.post("/api/v1/cameras/import?dry_run=true", content=text.encode(), headers=headers)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["created"], report["errors"], report["applied"]) == (2, 2, False)
    errors = {item["row"]: item["error"] for item in report["items"] if item["action"] == "error"}
    assert "national_code" in errors[3]
    assert "the cloud metadata address" in errors[4]
    assert SECRET not in dry.text
    assert client.get("/api/v1/cameras").json()["total"] == 0

    # Not applied while a row is wrong; applied once the list is clean.
    assert not client.post("/api/v1/cameras/import", content=text.encode(), headers=headers).json()[
        "applied"
    ]
    clean = "\n".join(text.splitlines()[:3]) + "\n"
    applied = client.post("/api/v1/cameras/import", content=clean.encode(), headers=headers).json()
    assert (applied["created"], applied["applied"]) == (2, True)
    rows = [
        {
            "national_code": "50024010001310000002",
            "name": "学校正门",
            "url": "rtsp://10.50.1.12:554/ch1",
            "lon": 108.401,
            "lat": 30.231,
            "edge": "edge-hs-01",
        }
    ]
    again = client.post(
        "/api/v1/cameras/import?dry_run=true",
        content=json.dumps(rows).encode(),
        headers={"content-type": "application/json"},
    ).json()
    assert [(i["action"], i["changes"]) for i in again["items"]] == [("update", ["name"])]
    camera = client.get("/api/v1/cameras/50024010001310000001").json()
    assert camera["national_code"] == "50024010001310000001"
    assert camera["rtsp_url"] == "rtsp://***:***@10.50.1.11:554/ch1"


def _state(client: Any, camera_id: str) -> str:
    state: str = client.get(f"/api/v1/cameras/{camera_id}").json()["config"]["state"]
    return state


def _report(broker: BrokerConfig, edge_id: str, report: ConfigReport) -> None:
    status = EdgeStatusMessage(
        edge_id=edge_id,
        state=EdgeAvailability.ONLINE,
        at=datetime.now(UTC),
        software_version="test",
        config=report,
    )
    publisher = Subscriber(broker, broker.topics.edge_status(edge_id))
    try:
        publisher.publish(broker.topics.edge_status(edge_id), encode_message(status), retain=True)
    finally:
        publisher.close()


def test_the_analysis_schema_lists_every_rule_type(huangshui: CentralRuntime) -> None:
    schema = admin_client(huangshui).get("/api/v1/camera-analysis-schema").json()
    rule_types = {
        definition["properties"]["type"].get("const")
        or tuple(definition["properties"]["type"].get("enum", ()))
        for definition in schema["$defs"].values()
        if "type" in definition.get("properties", {})
    }
    assert {"crowd", "road_blockage", "illegal_parking", "line_crossing"} <= rule_types


def test_a_change_that_could_not_be_published_is_published_later(
    huangshui: CentralRuntime, broker: BrokerConfig
) -> None:
    """As if the process that made the change had lost the broker: the revision is committed
    and marked, and the retry round of a central that has the broker publishes it."""
    client = admin_client(huangshui)
    assert client.post("/api/v1/edges", json={"id": EDGE_A, "name": "x"}).status_code == 201
    _retained_config(broker, EDGE_A, revision=1)
    with huangshui.sessions() as session:
        revision = edge_config_repository.bump_revision(session, EDGE_A)
        session.commit()
    assert _retained_config(broker, EDGE_A, revision=revision).revision == revision

    def published() -> bool:
        with huangshui.sessions() as session:
            edge = edge_config_repository.get_edge(session, EDGE_A)
            return edge is not None and not edge.config_dirty

    wait_until(published, timeout_s=10)
