"""视频联动 end to end: a real edge on the sample clip, a real broker, central, a gateway.

A gas alarm beside a registered camera becomes a case (gas always does) with that camera's
live picture attached to the alert, the incident and the case; a camera whose edge is offline
is noted on the alert at once, not waited for.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from gridwatch.sensor_traces import TRACES
from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.models import CameraIn, GeoPointIn
from gridwatch_central.db import sensor_repository as sensor_rows
from gridwatch_central.db.tables import AlertRow, CaseRow, IncidentRow, TimelineRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import EdgeAvailability, EdgeStatusMessage
from gridwatch_edge.detector import Detector
from tests.central.api.clients import admin_client
from tests.central.helpers import DEMO_POINT, TestClient, wait_until
from tests.central.sensors.helpers import gateway, register, sensor_alerts
from tests.edge.requests.live_edge import clip_camera, edge_config, live_edge, wait_for_frames

EDGE = "edge-1"
GONE_EDGE = "edge-gone"
# From the alarm's commit to the picture: an edge answers in well under a second; generous.
ATTACH_WAIT_S = 30.0


def _camera(runtime: CentralRuntime, camera_id: str, edge_id: str, lat: float) -> None:
    body = CameraIn(
        id=camera_id,
        edge_id=edge_id,
        name=camera_id,
        rtsp_url=f"rtsp://127.0.0.1:8554/{camera_id}",
        location=GeoPointIn(lat=lat, lon=DEMO_POINT.lon),
    )
    with runtime.sessions() as session:
        runtime.camera_service.create(session, body, runtime.grid_store.index, Scope.everything())


def test_a_sensor_alarm_near_a_camera_ends_as_a_case_with_its_snapshot(
    central_runtime: CentralRuntime,
    broker: BrokerConfig,
    edge: TestClient,
    *,
    yolox: Detector,
    vtest_clip: Path,
    tmp_path: Path,
) -> None:
    runtime = central_runtime
    _camera(runtime, "cam-1", EDGE, DEMO_POINT.lat)
    _camera(runtime, "cam-far", GONE_EDGE, DEMO_POINT.lat + 0.0002)  # ~22 m north
    offline = EdgeStatusMessage(
        edge_id=GONE_EDGE,
        state=EdgeAvailability.OFFLINE,
        at=datetime.now(UTC),
        software_version="t",
    )
    edge.publish(broker.topics.edge_status(GONE_EDGE), encode_message(offline))
    wait_until(lambda: runtime.edge_requests.edge_availability(GONE_EDGE) is not None)
    register(runtime, "gas-1", "gas")  # linked automatically: both cameras within 60 m
    config = edge_config(broker, EDGE, [clip_camera("cam-1", vtest_clip)])
    with live_edge(config, yolox) as (edge_runtime, _handler):
        wait_for_frames(edge_runtime, "cam-1")
        with gateway(broker) as gw:
            gw.play(TRACES["gas_leak"], "gas-1")
            assert gw.wait_for_receipts(20)
        first = sensor_alerts(runtime, "gas-1")[0]

        def attached() -> bool:
            with runtime.sessions() as session:
                links = sensor_rows.links_of(session, [first.alert_id])
            return {link.status for link in links} == {"attached", "edge_offline"}

        wait_until(attached, ATTACH_WAIT_S)
    with runtime.sessions() as session:
        links = {link.camera_id: link for link in sensor_rows.links_of(session, [first.alert_id])}
        alert = session.scalar(select(AlertRow).where(AlertRow.alert_id == first.alert_id))
        assert alert is not None
        assert alert.case_id is not None
        incident = session.get(IncidentRow, alert.incident_id)
        case = session.get(CaseRow, alert.case_id)
        timeline = list(
            session.scalars(select(TimelineRow).where(TimelineRow.case_id == alert.case_id))
        )
    picture = links["cam-1"].snapshot_sha256
    assert picture is not None
    assert links["cam-far"].status == "edge_offline"
    assert links["cam-far"].snapshot_sha256 is None
    assert alert.snapshot_sha256 == picture
    assert incident is not None
    assert incident.best_snapshot_sha256 == picture
    assert case is not None
    assert case.category == "90007"
    evidence = [entry for entry in timeline if entry.action == "evidence"]
    assert [entry.attachments for entry in evidence] == [[picture]]
    image = runtime.snapshots.read(picture)
    assert image is not None
    assert image[:2] == b"\xff\xd8"
    client = admin_client(runtime)
    served = client.get(f"/api/v1/alerts/{alert.alert_id}/links/cam-1/snapshot")
    assert served.status_code == 200
    assert served.content == image
    listed = client.get(f"/api/v1/alerts/{alert.alert_id}/links").json()
    assert {item["camera_id"]: item["status"] for item in listed} == {
        "cam-1": "attached",
        "cam-far": "edge_offline",
    }
    case_view = client.get(f"/api/v1/cases/{case.id}").json()
    (tmp_path / "sensor_case.json").write_text(json.dumps(case_view, ensure_ascii=False, indent=1))
