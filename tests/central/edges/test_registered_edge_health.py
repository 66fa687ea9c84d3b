"""An edge registered before it ever connected: its first status and stats make it online and
seen (the registry row starts with no last_seen_at, which a later report must fill)."""

from __future__ import annotations

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.messages import EdgeAvailability
from tests.central.api.clients import admin_client
from tests.central.edges.test_monitor import FakeEdge, _edge, _wait_edge, camera, stats


def test_a_registered_edge_is_seen_once_it_reports(runtime: CentralRuntime) -> None:
    client = admin_client(runtime)
    registered = client.post("/api/v1/edges", json={"id": "edge-new", "name": "新边缘盒"})
    assert registered.status_code == 201, registered.text
    before = _edge(client, "edge-new")
    assert (before["state"], before["state_reason"], before["last_seen_at"]) == (
        "offline",
        "never_seen",
        None,
    )

    edge = FakeEdge(runtime.config.broker, "edge-new")
    try:
        edge.publish_status(EdgeAvailability.ONLINE)
        edge.publish_stats(stats("edge-new", [camera("gate")]))
        shown = _wait_edge(client, "edge-new", state="online", cameras_online=1)
    finally:
        edge.close()
    assert shown["state_reason"] == "reported_online"
    assert shown["last_seen_at"] is not None
    assert shown["first_seen_at"] is not None
    assert shown["registered"] is True
