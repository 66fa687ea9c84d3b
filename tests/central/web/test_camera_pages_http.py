"""The console's camera pages over HTTP: who may use them, and that what they save is what
the camera API then shows (create, edit, move, disable, delete, zones and rules)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gridwatch_central.auth.models import UserIn
from gridwatch_central.auth.scope import Role
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import (
    CameraConfigProblem,
    ConfigReport,
    EdgeAvailability,
    EdgeStatusMessage,
)
from tests.central.api.clients import admin_client
from tests.central.edges.test_monitor import FakeEdge
from tests.central.helpers import DEMO_POINT, wait_until

ORIGIN = {"Origin": "http://testserver"}
PASSWORD = "camera-pages-password"
DISTRICT = "500240"
CAMERA_FORM = {
    "id": "gate-west",
    "name": "西门",
    "edge_id": "edge-a",
    "rtsp_url": "rtsp://admin:s3cret@10.0.0.7:554/Streaming/Channels/102",
    "lat": str(DEMO_POINT.lat),
    "lon": str(DEMO_POINT.lon),
    "national_code": "50024000001320000001",
    "analysis_fps": "4",
    "enabled": "on",
}
ZONE = {"id": "road", "polygon": [[0.1, 0.5], [0.6, 0.5], [0.6, 0.9], [0.1, 0.9]]}
PARKING = {"type": "illegal_parking", "id": "no-parking", "zone": "road", "dwell_s": 60}


def _person(
    runtime: CentralRuntime, name: str, role: Role, grids: str = DISTRICT
) -> tuple[TestClient, str]:
    """A console session of a new user of ``role`` (by default over the whole district), and
    its CSRF token."""
    spec = UserIn(username=name, password=SecretStr(PASSWORD), role=role, grid_prefixes=[grids])
    runtime.auth.create_user(spec)
    client = TestClient(runtime.app)
    login = {"username": name, "password": PASSWORD}
    assert client.post("/console/login", data=login, headers=ORIGIN).status_code == 200
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get("/console/edges").text)
    assert found is not None
    return client, found.group(1)


def _post(client: TestClient, csrf: str, path: str, data: dict[str, str]) -> httpx.Response:
    """A console form posted as the page would, not following the redirect."""
    response: httpx.Response = client.post(
        path, data={**data, "csrf": csrf}, headers=ORIGIN, follow_redirects=False
    )
    return response


def _camera_through_the_api(runtime: CentralRuntime, **extra: object) -> None:
    body = {
        "id": "gate-west",
        "edge_id": "edge-a",
        "name": "西门",
        "rtsp_url": "rtsp://10.0.0.7/main",
        "location": {"lat": DEMO_POINT.lat, "lon": DEMO_POINT.lon},
        **extra,
    }
    assert admin_client(runtime).post("/api/v1/cameras", json=body).status_code == 201


def test_an_integrator_adds_edits_moves_disables_and_deletes_a_camera(
    central_runtime: CentralRuntime,
) -> None:
    runtime = central_runtime
    api = admin_client(runtime)
    integrator, csrf = _person(runtime, "installer", Role.INTEGRATOR)
    assert integrator.get("/console/cameras/new").status_code == 200

    created = _post(integrator, csrf, "/console/cameras/new", CAMERA_FORM)
    assert (created.status_code, created.headers["location"]) == (
        303,
        "/console/cameras/gate-west/config",
    )
    camera = api.get("/api/v1/cameras/gate-west").json()
    assert (camera["name"], camera["edge_id"], camera["national_code"]) == (
        "西门",
        "edge-a",
        "50024000001320000001",
    )
    assert camera["analysis"]["analysis_fps"] == 4
    assert "s3cret" not in camera["rtsp_url"]

    edges = integrator.get("/console/edges").text
    assert 'data-camera="gate-west"' in edges
    assert "s3cret" not in edges
    assert "待应用" in edges  # pending until the edge confirms
    assert 'hx-get="/console/edges/cameras"' in edges  # so the rows are fetched again
    rows = integrator.get("/console/edges/cameras").text
    assert 'data-camera="gate-west"' in rows

    # Zones stay when the camera itself is edited; the redacted URL keeps the credentials.
    assert api.put("/api/v1/cameras/gate-west/analysis", json={"zones": [ZONE]}).status_code == 200
    form = integrator.get("/console/cameras/gate-west/edit").text
    assert "s3cret" not in form
    shown_url = re.search(r'name="rtsp_url" value="([^"]+)"', form)
    assert shown_url is not None
    edited = {**CAMERA_FORM, "rtsp_url": shown_url.group(1), "edge_id": "edge-b", "enabled": ""}
    moved = _post(integrator, csrf, "/console/cameras/gate-west/edit", edited)
    assert moved.status_code == 303, moved.text
    camera = api.get("/api/v1/cameras/gate-west").json()
    assert (camera["edge_id"], camera["enabled"], camera["config"]["state"]) == (
        "edge-b",
        False,
        "disabled",
    )
    assert camera["has_credentials"]
    assert [zone["id"] for zone in camera["analysis"]["zones"]] == ["road"]

    deleted = _post(integrator, csrf, "/console/cameras/gate-west/delete", {"confirm": "on"})
    assert deleted.status_code == 303
    assert api.get("/api/v1/cameras/gate-west").status_code == 404


def test_a_refused_camera_form_says_why_and_keeps_what_was_typed(
    central_runtime: CentralRuntime,
) -> None:
    integrator, csrf = _person(central_runtime, "installer", Role.INTEGRATOR)
    public = {**CAMERA_FORM, "rtsp_url": "rtsp://169.254.169.254/latest"}
    refused = _post(integrator, csrf, "/console/cameras/new", public)
    assert refused.status_code == 400
    assert 'id="form-error"' in refused.text
    assert 'value="西门"' in refused.text
    # The reason names the address, never the URL (it may carry credentials).
    assert "/latest" not in refused.text.split('id="form-error"')[1].split("</p>")[0]
    bad_code = {**CAMERA_FORM, "national_code": "123"}
    assert _post(integrator, csrf, "/console/cameras/new", bad_code).status_code == 400
    # An integrator of the next town may not put a camera in this one.
    other, other_csrf = _person(central_runtime, "lengshui", Role.INTEGRATOR, "500240102")
    elsewhere = _post(other, other_csrf, "/console/cameras/new", CAMERA_FORM)
    assert elsewhere.status_code == 400
    assert "outside the grids you may manage" in elsewhere.text
    assert admin_client(central_runtime).get("/api/v1/cameras/gate-west").status_code == 404


def test_zones_and_rules_are_saved_only_when_the_edge_models_accept_them(
    central_runtime: CentralRuntime,
) -> None:
    runtime = central_runtime
    api = admin_client(runtime)
    _camera_through_the_api(runtime, analysis={"analysis_fps": 3})
    integrator, csrf = _person(runtime, "installer", Role.INTEGRATOR)
    page = integrator.get("/console/cameras/gate-west/config")
    assert page.status_code == 200
    data = re.search(r'id="zone-editor-data">(.*?)</script>', page.text, re.S)
    assert data is not None
    editor = json.loads(data.group(1))
    assert {form["type"] for form in editor["forms"]} >= {"crowd", "line_crossing", "littering"}
    littering = next(form for form in editor["forms"] if form["type"] == "littering")
    classes = next(field for field in littering["fields"] if field["name"] == "classes")
    assert classes["default"] == ["bottle", "cup"]  # the type's own defaults, from the model

    path = "/console/cameras/gate-west/config"
    dangling = {"zones": [ZONE], "rules": [{**PARKING, "zone": "elsewhere"}]}
    refused = integrator.post(
        path, data={"config": json.dumps(dangling)}, headers={**ORIGIN, "X-CSRF-Token": csrf}
    )
    assert refused.status_code == 400
    assert any("elsewhere" in problem for problem in refused.json()["errors"])
    assert api.get("/api/v1/cameras/gate-west/analysis").json()["zones"] == []

    good = {"zones": [ZONE], "rules": [PARKING]}
    saved = integrator.post(
        path, data={"config": json.dumps(good)}, headers={**ORIGIN, "X-CSRF-Token": csrf}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["state"] == "pending"
    # What the page asks while pending (until the edge reports).
    status = integrator.get("/console/cameras/gate-west/status").json()
    assert (status["state"], status["revision"]) == ("pending", saved.json()["revision"])
    assert status["status_text"].startswith("待应用")
    analysis = api.get("/api/v1/cameras/gate-west/analysis").json()
    assert [zone["id"] for zone in analysis["zones"]] == ["road"]
    assert analysis["rules"][0]["dwell_s"] == 60
    assert analysis["analysis_fps"] == 3  # only zones and rules change here
    # Without the session's CSRF token nothing is saved.
    assert integrator.post(path, data={"config": "{}"}, headers=ORIGIN).status_code == 403


def test_only_integrators_and_admins_configure_cameras(central_runtime: CentralRuntime) -> None:
    runtime = central_runtime
    _camera_through_the_api(runtime)
    operator, csrf = _person(runtime, "op", Role.OPERATOR)
    for path in (
        "/console/cameras/gate-west/config",
        "/console/cameras/gate-west/snapshot",
        "/console/cameras/gate-west/edit",
        "/console/cameras/new",
        "/console/cameras/import",
    ):
        assert operator.get(path).status_code == 403, path
    assert _post(operator, csrf, "/console/cameras/gate-west/delete", {}).status_code == 403
    listed = operator.get("/console/edges").text
    assert 'data-camera="gate-west"' in listed  # seen, with its status
    assert "/console/cameras/gate-west/edit" not in listed  # but not offered
    # An integrator of another district does not see the camera at all.
    outsider = UserIn(
        username="far", password=SecretStr(PASSWORD), role=Role.INTEGRATOR, grid_prefixes=["110"]
    )
    runtime.auth.create_user(outsider)
    far = TestClient(runtime.app)
    far.post("/console/login", data={"username": "far", "password": PASSWORD}, headers=ORIGIN)
    assert far.get("/console/cameras/gate-west/config").status_code == 404
    assert far.get("/console/cameras/gate-west/snapshot").status_code == 404


def test_an_integrator_registers_an_edge_and_gets_its_bootstrap_file_once(
    central_runtime: CentralRuntime,
) -> None:
    runtime = central_runtime
    api = admin_client(runtime)
    integrator, csrf = _person(runtime, "installer", Role.INTEGRATOR)
    form = {"id": "edge-a", "name": "黄水路口箱", "grid_code": ""}
    shown = _post(integrator, csrf, "/console/edges/register", form)
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"  # the password is in it
    password = re.search(r'id="edge-password">([^<]+)<', shown.text)
    bootstrap = re.search(r'id="edge-bootstrap">([^<]+)<', shown.text, re.S)
    assert password is not None
    assert bootstrap is not None
    assert "edge_id: edge-a" in bootstrap.group(1)
    assert password.group(1) not in bootstrap.group(1)  # kept apart, in its own file
    assert password.group(1) not in integrator.get("/console/edges").text  # shown once
    assert api.get("/api/v1/edges/edge-a").json()["registered"] is True
    again = _post(integrator, csrf, "/console/edges/register", form)
    assert again.status_code == 400
    assert 'id="edges-error"' in again.text

    _camera_through_the_api(runtime)  # on edge-a
    refused = _post(integrator, csrf, "/console/edges/edge-a/unregister", {})
    assert refused.status_code == 400
    assert "still has 1 camera" in refused.text
    assert api.delete("/api/v1/cameras/gate-west").status_code == 204
    gone = _post(integrator, csrf, "/console/edges/edge-a/unregister", {})
    assert gone.status_code == 303
    assert api.get("/api/v1/edges/edge-a").json().get("registered") is not True

    operator, operator_csrf = _person(runtime, "op", Role.OPERATOR)
    denied = _post(operator, operator_csrf, "/console/edges/register", {**form, "id": "edge-b"})
    assert denied.status_code == 403
    assert "/console/edges/register" not in operator.get("/console/edges").text


def test_a_config_the_edge_refused_shows_failed_with_its_reason(
    central_runtime: CentralRuntime,
) -> None:
    runtime = central_runtime
    api = admin_client(runtime)
    assert api.post("/api/v1/edges", json={"id": "edge-a", "name": "箱"}).status_code == 201
    _camera_through_the_api(runtime)
    revision = api.get("/api/v1/cameras/gate-west").json()["config"]["revision"]
    refusal = ConfigReport(
        rejected_revision=revision,
        error="camera gate-west: zones.0.polygon: at least 3 points",
        cameras=[CameraConfigProblem(camera="gate-west", reason="zones.0: at least 3 points")],
    )
    edge = FakeEdge(runtime.config.broker, "edge-a")
    try:
        message = EdgeStatusMessage(
            edge_id="edge-a",
            state=EdgeAvailability.ONLINE,
            at=datetime.now(UTC),
            software_version="1.2.3",
            config=refusal,
        )
        edge.publish(runtime.config.broker.topics.edge_status("edge-a"), encode_message(message))
        wait_until(
            lambda: api.get("/api/v1/cameras/gate-west").json()["config"]["state"] == "failed"
        )
    finally:
        edge.close()
    integrator, _csrf = _person(runtime, "installer", Role.INTEGRATOR)
    table = integrator.get("/console/edges").text.split('id="camera-table"')[1]
    row = table.split('data-camera="gate-west"')[1]
    assert "失败: zones.0: at least 3 points" in row.split("</tr>")[0]
    page = integrator.get("/console/cameras/gate-west/config").text
    assert 'class="config-status failed"' in page
