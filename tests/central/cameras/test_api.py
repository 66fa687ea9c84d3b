"""Camera sources through the API: CRUD, URL rules, credentials never shown, grids, homography."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gridwatch_central.cameras.seed import read_camera_file, seed_cameras
from gridwatch_central.db import grid_repository
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client
from tests.central.helpers import HUANGSHUI_CAMERAS

SECRET = "s3cr3t-Pa55"
URL = f"rtsp://admin:{SECRET}@10.50.1.11:554/Streaming/Channels/101"


def _boundary_camera() -> dict[str, Any]:
    camera = next(c for c in read_camera_file(HUANGSHUI_CAMERAS) if c.id == "hs-cam-10")
    return camera.model_dump(mode="json")


def _camera(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "cam-a",
        "edge_id": "edge-hs-01",
        "name": "集镇十字路口",
        "rtsp_url": URL,
        "location": {"lat": 30.2300, "lon": 108.4000},
    }
    body.update(overrides)
    return body


def test_create_read_update_delete_with_credentials_redacted(
    huangshui: CentralRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = admin_client(huangshui)
    created = client.post("/api/v1/cameras", json=_camera())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["rtsp_url"] == "rtsp://***:***@10.50.1.11:554/Streaming/Channels/101"
    assert body["has_credentials"] is True
    assert [g["level"] for g in body["grids"]] == [1, 2, 3]
    assert body["homography"] is None
    assert body["viewed_grids"] == []

    assert client.post("/api/v1/cameras", json=_camera()).status_code == 409
    listed = client.get("/api/v1/cameras").json()
    assert (listed["total"], listed["items"][0]["id"]) == (1, "cam-a")
    assert client.get("/api/v1/cameras/cam-a").json() == body

    # Sending back the redacted URL keeps the stored credentials; a new path is taken.
    shown = body["rtsp_url"].replace("Channels/101", "Channels/102")
    with_id = client.put("/api/v1/cameras/cam-a", json=_camera(rtsp_url=shown))
    assert with_id.status_code == 422  # PUT takes no id: the path names the camera
    replaced = client.put(
        "/api/v1/cameras/cam-a",
        json={k: v for k, v in _camera(rtsp_url=shown, name="改名").items() if k != "id"},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == "改名"
    with huangshui.sessions() as session:
        row = grid_repository.get_camera(session, "cam-a")
        assert row is not None
        # At rest the URL exists only encrypted; the plain column holds it redacted.
        assert SECRET not in row.rtsp_url
        assert row.url_encrypted is not None
        assert SECRET not in row.url_encrypted
        vault = huangshui.camera_service.vault
        assert vault.decrypt(row.url_encrypted) == URL.replace("Channels/101", "Channels/102")

    assert client.delete("/api/v1/cameras/cam-a").status_code == 204
    assert client.get("/api/v1/cameras/cam-a").status_code == 404
    assert client.delete("/api/v1/cameras/cam-a").status_code == 404
    fields = {k: v for k, v in _camera().items() if k != "id"}
    assert client.put("/api/v1/cameras/cam-a", json=fields).status_code == 404
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"http://admin:{SECRET}@10.0.0.1/stream", "must start with rtsp:// or rtsps://"),
        (f"rtmp://admin:{SECRET}@10.0.0.1/live", "must start with rtsp:// or rtsps://"),
        (f"rtsp://admin:{SECRET}@/stream", "has no host"),
        (f"rtsp://admin:{SECRET}@10.0.0.1:99999/x", "malformed"),
        (f"rtsp://admin:{SECRET}@10.0.0.1/a b", "whitespace"),
    ],
)
def test_bad_urls_are_refused_without_echoing_them(
    huangshui: CentralRuntime, url: str, reason: str
) -> None:
    response = admin_client(huangshui).post("/api/v1/cameras", json=_camera(rtsp_url=url))
    assert response.status_code == 422
    assert reason in response.text
    assert SECRET not in response.text


def test_query_string_credentials_are_redacted_too(huangshui: CentralRuntime) -> None:
    url = f"rtsps://10.0.0.9/live?channel=1&user=admin&pwd={SECRET}"
    response = admin_client(huangshui).post("/api/v1/cameras", json=_camera(rtsp_url=url))
    assert response.status_code == 201
    assert response.json()["rtsp_url"] == "rtsps://10.0.0.9/live?channel=1&user=***&pwd=***"
    assert response.json()["has_credentials"] is True


def test_a_camera_with_a_homography_reports_its_fit_and_the_grids_it_overlooks(
    huangshui: CentralRuntime,
) -> None:
    client = admin_client(huangshui)
    response = client.post("/api/v1/cameras", json=_boundary_camera())
    assert response.status_code == 201, response.text
    body = response.json()
    homography = body["homography"]
    assert len(homography["point_errors_m"]) == 6
    assert homography["max_error_m"] < 0.05
    assert len(homography["matrix"]) == 3
    assert [g["code"] for g in body["viewed_grids"]] == ["500240101001001", "500240101001002"]
    listed = client.get("/api/v1/cameras", params={"grid_code": "500240101001002"}).json()
    assert [c["id"] for c in listed["items"]] == ["hs-cam-10"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p[:3], "at least 4"),
        (lambda p: [{**q, "x": 10.0 * i, "y": 10.0 * i} for i, q in enumerate(p)], "one line"),
        (lambda p: [*p[:5], {**p[5], "lat": p[5]["lat"] + 0.0002}], "reference point 6 is"),
        (lambda p: [{**p[0], "x": 5000.0}, *p[1:]], "outside the 1920x1080 frame"),
    ],
)
def test_unusable_homographies_are_refused_with_the_reason(
    huangshui: CentralRuntime, change: Any, reason: str
) -> None:
    camera = _boundary_camera()
    camera["homography"]["points"] = change(camera["homography"]["points"])
    response = admin_client(huangshui).post("/api/v1/cameras", json=camera)
    assert response.status_code == 422
    assert reason in response.text
    assert SECRET not in response.text


def test_the_example_camera_file_registers_twelve_cameras(huangshui: CentralRuntime) -> None:
    service, index = huangshui.camera_service, huangshui.grid_store.index
    assert seed_cameras(HUANGSHUI_CAMERAS, huangshui.sessions, service, index) == 12
    assert seed_cameras(HUANGSHUI_CAMERAS, huangshui.sessions, service, index) == 0
    cameras = admin_client(huangshui).get("/api/v1/cameras").json()["items"]
    assert len(cameras) == 12
    assert all(len(c["grids"]) == 3 for c in cameras)
    with_views = [c for c in cameras if c["homography"] is not None]
    assert [len(c["viewed_grids"]) for c in with_views] == [2, 2, 2]
    assert all("CHANGE-ME" not in c["rtsp_url"] for c in cameras)
