"""黄水镇 as the scenario test meets it: its cameras' edges publish alerts over the real broker,
and real users of each role — created by the admin over the API — act with their own tokens."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import yaml
from fastapi.testclient import TestClient as HttpClient

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.messages import BoundingBox, DetectedObject, FrameSize, GeoPoint
from tests.central.api.clients import admin_client
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import (
    HUANGSHUI_CAMERAS,
    TestClient,
    alert_topic,
    make_alert,
    wait_until,
)
from tests.central.metric_rows import rates, table

PASSWORD = "huangshui-scenario-password"
MONTH = {"start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"}
ADMIN = "admin"


def camera_edges() -> dict[str, str]:
    """Camera id → its edge, from cameras.huangshui.yaml (an alert names both)."""
    document = yaml.safe_load(HUANGSHUI_CAMERAS.read_text(encoding="utf-8"))
    return {camera["id"]: camera["edge_id"] for camera in document["cameras"]}


def seen_at(pixel_x: float, pixel_y: float) -> dict[str, Any]:
    """Alert fields of one object standing at ``pixel`` of a 1920x1080 frame: central places
    it through the camera's homography."""
    box = BoundingBox(x1=pixel_x - 60, y1=pixel_y - 80, x2=pixel_x + 60, y2=pixel_y)
    person = DetectedObject(class_name="person", class_id=0, score=0.8, box=box, track_id=1)
    return {"frame": FrameSize(width=1920, height=1080), "objects": [person], "location": None}


class Town:
    def __init__(
        self, runtime: CentralRuntime, clock: ManualClock, edge: TestClient, broker: BrokerConfig
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self._edge = edge
        self._broker = broker
        self._edges = camera_edges()
        self._http = HttpClient(runtime.app)
        self._tokens: dict[str, str] = {ADMIN: _bearer(admin_client(runtime))}

    # --- people ---------------------------------------------------------------------------

    def add_user(
        self, username: str, role: str, *, grids: tuple[str, ...] = (), departments: str = ""
    ) -> None:
        """Created by the admin over the API, then logged in with its own password."""
        body = {
            "username": username,
            "password": PASSWORD,
            "role": role,
            "grid_prefixes": list(grids),
            "departments": [departments] if departments else [],
        }
        created = self._http.post("/api/v1/admin/users", json=body, headers=self._auth(ADMIN))
        assert created.status_code == 201, created.text
        login = {"username": username, "password": PASSWORD}
        response = self._http.post("/api/v1/auth/login", json=login)
        assert response.status_code == 200, response.text
        self._tokens[username] = response.json()["access_token"]

    def _auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._tokens[user]}"}

    # --- alerts ---------------------------------------------------------------------------

    def alert(
        self, minute: float, camera: str, event: str, where: GeoPoint | None = None, **fields: Any
    ) -> dict[str, Any]:
        """An alert from ``camera``'s edge over MQTT at ``T0 + minute``; the stored alert."""
        self.clock.at(minute)
        values: dict[str, Any] = {
            "edge_id": self._edges[camera],
            "camera_id": camera,
            "event_type": event,
            "rule_id": f"{event}-1",
            "started_at": self.clock.now - timedelta(seconds=20),
            "updated_at": self.clock.now - timedelta(seconds=5),
        }
        if where is not None:
            values["location"] = where
        alert = make_alert(**(values | fields))
        self._edge.publish(alert_topic(self._broker, alert), alert)
        return self._stored(alert.alert_id)

    def _stored(self, alert_id: uuid.UUID) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def stored() -> bool:
            response = self._http.get(f"/api/v1/alerts/{alert_id}", headers=self._auth(ADMIN))
            if response.status_code == 200:
                found.append(response.json())
            return bool(found)

        wait_until(stored)
        return found[0]

    # --- the API --------------------------------------------------------------------------

    def post(self, minute: float, user: str, path: str, body: dict[str, Any] | None = None) -> Any:
        self.clock.at(minute)
        response = self._http.post(f"/api/v1{path}", json=body or {}, headers=self._auth(user))
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str, user: str = ADMIN, **params: Any) -> Any:
        response = self._http.get(f"/api/v1{path}", params=params, headers=self._auth(user))
        assert response.status_code == 200, response.text
        return response.json()

    def status(self, path: str, user: str, *, post: bool = False) -> int:
        if post:
            response = self._http.post(f"/api/v1{path}", json={}, headers=self._auth(user))
        else:
            response = self._http.get(f"/api/v1{path}", headers=self._auth(user))
        return int(response.status_code)

    def csv(self, **params: Any) -> str:
        response = self._http.get(
            "/api/v1/metrics.csv", params=MONTH | params, headers=self._auth(ADMIN)
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        return str(response.text)

    def metrics(self, group_by: str, level: int = 3, user: str = ADMIN) -> dict[str, Any]:
        """November's figures per key, printed as a table (pytest -s shows it)."""
        result = self.get("/metrics", user, group_by=group_by, level=level, **MONTH)
        print(f"\n--- group_by={group_by} level={level} ---\n{table(result['rows'])}")
        return {row["key"]: rates(row) for row in result["rows"]}


def _bearer(client: HttpClient) -> str:
    return str(client.headers["Authorization"]).removeprefix("Bearer ")
