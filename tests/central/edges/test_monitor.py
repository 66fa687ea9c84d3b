"""Edge health through the real broker into the real database (SQLite and PostgreSQL), read
back through the API: online/offline, the last will, staleness, bad messages, scope, and
several central processes agreeing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import (
    CameraStats,
    EdgeAvailability,
    EdgeStatsMessage,
    EdgeStatusMessage,
    ModelInfo,
)
from tests.central.api.clients import admin_client, login
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import DEMO_POINT, make_config, wait_until

# MQTT 5 "Disconnect with Will Message" (0x04): the broker publishes the will at once, as it
# would for a dead connection after 1.5 keepalives, without the test waiting for that.
DISCONNECT_WITH_WILL = 4


class FakeEdge:
    """A plain MQTT 5 client speaking the edge's status and stats contract (retained status,
    last will), so a test can send exactly the messages it needs."""

    def __init__(self, broker: BrokerConfig, edge_id: str, *, will: bool = True) -> None:
        self.edge_id = edge_id
        self._topics = broker.topics
        self._client = make_client(broker, f"fake-{edge_id}-{uuid.uuid4().hex[:6]}")
        if will:
            self._client.will_set(
                self._topics.edge_status(edge_id),
                encode_message(status(edge_id, EdgeAvailability.OFFLINE)),
                qos=1,
                retain=True,
            )
        self._client.connect(broker.host, broker.port, keepalive=30)
        self._client.loop_start()

    def publish_status(self, state: EdgeAvailability, version: str = "1.2.3") -> None:
        payload = encode_message(status(self.edge_id, state, version))
        self.publish(self._topics.edge_status(self.edge_id), payload, retain=True)

    def publish_stats(self, message: EdgeStatsMessage) -> None:
        self.publish(self._topics.edge_stats(self.edge_id), encode_message(message))

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def die(self) -> None:
        """Leave so that the broker publishes the last will."""
        reason = ReasonCode(PacketTypes.DISCONNECT, identifier=DISCONNECT_WITH_WILL)
        self._client.disconnect(reasoncode=reason)
        self._client.loop_stop()

    def close(self) -> None:
        # Leaves nothing retained behind on the shared broker.
        self._client.publish(self._topics.edge_status(self.edge_id), b"", qos=1, retain=True)
        self._client.disconnect()
        self._client.loop_stop()


def status(edge_id: str, state: EdgeAvailability, version: str = "1.2.3") -> EdgeStatusMessage:
    return EdgeStatusMessage(
        edge_id=edge_id, state=state, at=datetime.now(UTC), software_version=version
    )


def camera(camera_id: str, **overrides: Any) -> CameraStats:
    fields: dict[str, Any] = {
        "camera_id": camera_id,
        "online": True,
        "connection": "good",
        "input_fps": 25.0,
        "analysed_fps": 5.0,
        "frames_read": 2500,
        "frames_analysed": 500,
        "frames_skipped": 2000,
        "alerts": 3,
        "last_frame_at": datetime.now(UTC),
    }
    return CameraStats(**(fields | overrides))


def stats(edge_id: str, cameras: list[CameraStats], **overrides: Any) -> EdgeStatsMessage:
    fields: dict[str, Any] = {
        "edge_id": edge_id,
        "at": datetime.now(UTC),
        "uptime_s": 120.0,
        "cameras": cameras,
        "outbox_depth": 2,
        "inference_ms_p50": 14.5,
        "stats_interval_s": 10.0,
        "model": ModelInfo(name="yolox_nano", version="0.1.1"),
    }
    return EdgeStatsMessage(**(fields | overrides))


@pytest.fixture
def edges() -> Iterator[list[FakeEdge]]:
    """Fake edges made by the test, cleaned off the broker afterwards."""
    made: list[FakeEdge] = []
    yield made
    for edge in made:
        edge.close()


def _fake(edges: list[FakeEdge], broker: BrokerConfig, edge_id: str, **kwargs: Any) -> FakeEdge:
    edge = FakeEdge(broker, edge_id, **kwargs)
    edges.append(edge)
    return edge


def _edge(client: TestClient, edge_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/edges/{edge_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _wait_edge(client: TestClient, edge_id: str, **expected: Any) -> dict[str, Any]:
    """The edge once the API shows every ``expected`` field value."""
    seen: dict[str, Any] = {}

    def shown() -> bool:
        response = client.get(f"/api/v1/edges/{edge_id}")
        if response.status_code != 200:
            return False
        seen.update(response.json())
        return all(seen.get(key) == value for key, value in expected.items())

    wait_until(shown, timeout_s=20)
    return seen


def test_status_stats_and_the_last_will(
    runtime: CentralRuntime, broker: BrokerConfig, edges: list[FakeEdge]
) -> None:
    client = admin_client(runtime)
    box = _fake(edges, broker, "box-01")
    box.publish_status(EdgeAvailability.ONLINE, version="2.0.1")
    shown = _wait_edge(client, "box-01", state="online", software_version="2.0.1")
    assert shown["state_reason"] == "reported_online"
    assert shown["cameras"] == []

    failing = camera("cam-2", online=False, connection="offline", last_error="connection refused")
    box.publish_stats(stats("box-01", [camera("cam-1"), failing]))
    shown = _wait_edge(client, "box-01", cameras_total=2)
    assert shown["model"] == {"name": "yolox_nano", "version": "0.1.1"}
    assert (shown["stats_interval_s"], shown["stale_after_s"]) == (10.0, 30.0)
    assert (shown["outbox_depth"], shown["uptime_s"]) == (2, 120.0)
    cam1, cam2 = shown["cameras"]
    assert (cam1["camera_id"], cam1["online"], cam1["analysed_fps"]) == ("cam-1", True, 5.0)
    assert cam1["last_frame_at"] is not None
    assert (cam2["online"], cam2["connection"], cam2["last_error"]) == (
        False,
        "offline",
        "connection refused",
    )
    assert shown["cameras_online"] == 1

    # A camera the edge no longer runs disappears with its next stats.
    box.publish_stats(stats("box-01", [camera("cam-1")]))
    shown = _wait_edge(client, "box-01", cameras_total=1)
    assert [c["camera_id"] for c in shown["cameras"]] == ["cam-1"]

    alive_until = shown["last_seen_at"]
    box.die()
    shown = _wait_edge(client, "box-01", state="offline")
    assert shown["state_reason"] == "reported_offline"
    # The will was written when the box connected: it is news of a death, not a sign of life.
    assert shown["last_seen_at"] == alive_until
    assert shown["cameras_online"] == 0, "an offline edge's cameras are not online"
    assert shown["cameras"][0]["reported_online"] is True
    listed = client.get("/api/v1/edges", params={"state": "offline"}).json()
    assert [edge["edge_id"] for edge in listed["items"]] == ["box-01"]
    assert listed["monitor_connected"] is True
    assert client.get("/api/v1/edges", params={"state": "online"}).json()["total"] == 0


def test_an_edge_silent_for_three_intervals_is_offline_without_a_will(
    loop_runtime: CentralRuntime, broker: BrokerConfig, clock: ManualClock, edges: list[FakeEdge]
) -> None:
    client = admin_client(loop_runtime)
    box = _fake(edges, broker, "box-quiet", will=False)
    box.publish_status(EdgeAvailability.ONLINE)
    box.publish_stats(stats("box-quiet", [camera("cam-1")]))
    _wait_edge(client, "box-quiet", state="online", cameras_total=1)

    clock.now += timedelta(seconds=29)  # under 3 x 10 s: still online
    assert _edge(client, "box-quiet")["state"] == "online"
    clock.now += timedelta(seconds=2)
    shown = _edge(client, "box-quiet")
    assert (shown["state"], shown["state_reason"], shown["reported_state"]) == (
        "offline",
        "stale",
        "online",
    )
    assert shown["cameras"][0]["online"] is False

    # The next stats (received on the server clock) bring it back.
    box.publish_stats(stats("box-quiet", [camera("cam-1")]))
    _wait_edge(client, "box-quiet", state="online")


def test_bad_messages_are_counted_and_the_monitor_keeps_going(
    runtime: CentralRuntime, broker: BrokerConfig, edges: list[FakeEdge]
) -> None:
    client = admin_client(runtime)
    box = _fake(edges, broker, "box-bad")
    topics = broker.topics
    box.publish(topics.edge_status("box-bad"), b"{not json")
    box.publish(topics.edge_stats("box-bad"), b'{"schema_version": 1, "edge_id": "box-bad"}')
    box.publish(topics.edge_stats("box-bad"), b'{"schema_version": 7}')
    # Another edge's message on this edge's topic must not be recorded for either.
    other = status("box-other", EdgeAvailability.ONLINE)
    box.publish(topics.edge_status("box-bad"), encode_message(other))
    too_many = stats("box-bad", [camera("cam-1"), camera("cam-1")])
    box.publish_stats(too_many)

    expected = {
        ("status", "malformed_json"),
        ("stats", "invalid"),
        ("stats", "unsupported_version"),
        ("status", "edge_id_mismatch"),
        ("stats", "duplicate_camera"),
    }
    wait_until(lambda: expected <= set(runtime.edge_metrics.rejected_counts()), timeout_s=20)
    assert client.get("/api/v1/edges").json()["total"] == 0, "nothing bad was stored"

    box.publish_status(EdgeAvailability.ONLINE)
    _wait_edge(client, "box-bad", state="online")
    metrics = client.get("/metrics").text
    assert 'gridwatch_edge_monitor_rejected_total{code="malformed_json",kind="status"} 1.0' in (
        metrics
    )


def test_several_central_processes_and_a_restart_agree(
    runtime: CentralRuntime,
    database_url: str,
    broker: BrokerConfig,
    tmp_path: Path,
    edges: list[FakeEdge],
) -> None:
    second = CentralRuntime(make_config(database_url, broker, tmp_path / "second"))
    second.start()
    try:
        box = _fake(edges, broker, "box-shared")
        box.publish_status(EdgeAvailability.ONLINE)
        box.publish_stats(stats("box-shared", [camera("cam-1")]))
        first_view = _wait_edge(admin_client(runtime), "box-shared", cameras_total=1)
        second_view = _wait_edge(admin_client(second), "box-shared", cameras_total=1)
        for key in ("state", "software_version", "model", "cameras_total", "first_seen_at"):
            assert first_view[key] == second_view[key], key
    finally:
        second.stop()

    # A process started later gets the retained status again: a replay, not a sign of life.
    before = _edge(admin_client(runtime), "box-shared")["last_seen_at"]
    third = CentralRuntime(make_config(database_url, broker, tmp_path / "third"))
    third.start()
    try:
        wait_until(lambda: third.edge_metrics.stored_counts().get("status", 0) >= 1, timeout_s=20)
        after = _edge(admin_client(third), "box-shared")
    finally:
        third.stop()
    assert after["state"] == "online"
    assert after["last_seen_at"] == before


def test_scoped_callers_see_only_edges_and_cameras_in_their_grids(
    runtime: CentralRuntime, broker: BrokerConfig, edges: list[FakeEdge]
) -> None:
    admin = admin_client(runtime)
    registered = {
        "id": "cam-street-a",
        "edge_id": "box-a",
        "name": "Street A gate",
        "rtsp_url": "rtsp://10.0.0.1/stream",
        "location": {"lat": DEMO_POINT.lat, "lon": DEMO_POINT.lon},
    }
    assert admin.post("/api/v1/cameras", json=registered).status_code == 201
    box_a = _fake(edges, broker, "box-a")
    box_a.publish_status(EdgeAvailability.ONLINE)
    box_a.publish_stats(stats("box-a", [camera("cam-street-a"), camera("cam-unregistered")]))
    box_b = _fake(edges, broker, "box-b")
    box_b.publish_status(EdgeAvailability.ONLINE)
    box_b.publish_stats(stats("box-b", [camera("cam-b")]))
    _wait_edge(admin, "box-a", cameras_total=2)
    _wait_edge(admin, "box-b", cameras_total=1)

    operator = _user(admin, runtime, "op-street-a", role="operator", grid_prefixes=["500240101"])
    listed = operator.get("/api/v1/edges").json()
    assert [edge["edge_id"] for edge in listed["items"]] == ["box-a"]
    assert [c["camera_id"] for c in listed["items"][0]["cameras"]] == ["cam-street-a"]
    assert listed["items"][0]["cameras"][0]["registered"] is True
    assert operator.get("/api/v1/edges/box-b").status_code == 404

    elsewhere = _user(admin, runtime, "op-elsewhere", role="operator", grid_prefixes=["500240102"])
    assert elsewhere.get("/api/v1/edges").json()["total"] == 0
    assert elsewhere.get("/api/v1/edges/box-a").status_code == 404

    handler = _user(admin, runtime, "handler", role="department_handler", departments=["城管"])
    assert handler.get("/api/v1/edges").status_code == 403
    assert handler.get("/api/v1/edges/box-a").status_code == 403

    everything = admin.get("/api/v1/edges").json()
    assert [edge["edge_id"] for edge in everything["items"]] == ["box-a", "box-b"]


def _user(admin: TestClient, runtime: CentralRuntime, name: str, **spec: Any) -> TestClient:
    body = {"username": name, "password": f"{name}-password", **spec}
    created = admin.post("/api/v1/admin/users", json=body)
    assert created.status_code == 201, created.text
    client = TestClient(runtime.app)
    login(client, name, f"{name}-password")
    return client
