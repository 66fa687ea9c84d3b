"""One camera overlooking two micro-grids: each event goes to the micro-grid its objects stand in,
through the real broker, consumer and ingest path."""

from __future__ import annotations

from typing import Any

from gridwatch_central.cameras.seed import read_camera_file
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import BoundingBox, DetectedObject, FrameSize, GeoPoint
from tests.central.api.clients import admin_client
from tests.central.helpers import HUANGSHUI_CAMERAS, alert_topic, make_alert, wait_until
from tests.central.helpers import TestClient as EdgeClient


def _person(x: float, y: float) -> DetectedObject:
    """A person whose feet (bottom-centre of the box) are at pixel (x, y)."""
    return DetectedObject(
        class_name="person",
        class_id=0,
        score=0.9,
        box=BoundingBox(x1=x - 20, y1=y - 120, x2=x + 20, y2=y),
    )


def test_two_alerts_of_one_camera_land_in_two_micro_grids(
    huangshui: CentralRuntime, edge: EdgeClient
) -> None:
    camera = next(c for c in read_camera_file(HUANGSHUI_CAMERAS) if c.id == "hs-cam-10")
    assert camera.homography is not None
    api = admin_client(huangshui)
    assert api.post("/api/v1/cameras", json=camera.model_dump(mode="json")).status_code == 201
    index = huangshui.grid_store.index
    points = camera.homography.points
    expected: list[Any] = []
    alerts = []
    # Reference points 1 and 2 are the near corners (first micro-grid), 3 and 4 the far ones.
    # Each alert's objects stand around one reference point; the edge's analysed frame is half
    # the calibration size, so central must scale pixels as well.
    for near, far in ((points[0], points[1]), (points[2], points[3])):
        objects = [_person(near.x / 2, near.y / 2), _person(far.x / 2, far.y / 2)]
        ground = index.locate((near.lat + far.lat) / 2, (near.lon + far.lon) / 2)
        assert ground is not None
        expected.append(ground.codes)
        alerts.append(
            make_alert(
                edge_id=camera.edge_id,
                camera_id=camera.id,
                objects=objects,
                frame=FrameSize(width=960, height=540),
                # The edge's own location is the camera pole: the ground point must win.
                location=GeoPoint(lat=camera.location.lat, lon=camera.location.lon),
            )
        )
    assert expected[0][2] != expected[1][2]
    assert expected[0][2] is not None

    for alert in alerts:
        edge.publish(alert_topic(huangshui.config.broker, alert), alert)
    wait_until(lambda: huangshui.summary()["alerts"] == 2)

    for alert, codes in zip(alerts, expected, strict=True):
        stored = api.get(f"/api/v1/alerts/{alert.alert_id}").json()
        assert (stored["grid_l1_code"], stored["grid_l2_code"], stored["grid_l3_code"]) == codes
        assert stored["location_source"] == "ground"
    # Both crowds are within crowd's merge radius, so they are one incident; it keeps the grid
    # of the alert that opened it (the case is routed there once an operator verifies it).
    first = api.get(f"/api/v1/alerts/{alerts[0].alert_id}").json()
    incident = api.get(f"/api/v1/incidents/{first['incident_id']}").json()
    assert incident["grid_l3_code"] == expected[0][2]


def test_without_objects_or_calibration_the_alert_or_camera_position_is_used(
    huangshui: CentralRuntime,
) -> None:
    camera = next(c for c in read_camera_file(HUANGSHUI_CAMERAS) if c.id == "hs-cam-10")
    api = admin_client(huangshui)
    assert api.post("/api/v1/cameras", json=camera.model_dump(mode="json")).status_code == 201
    locator_cases = [
        (make_alert(edge_id=camera.edge_id, camera_id=camera.id, objects=[]), "alert"),
        (
            make_alert(edge_id=camera.edge_id, camera_id=camera.id, objects=[], location=None),
            "camera",
        ),
        # Same camera id from another edge: that edge's camera, not this calibration.
        (make_alert(edge_id="edge-other", camera_id=camera.id, location=None), None),
    ]
    for alert, source in locator_cases:
        outcome = huangshui.ingest.handle("t", encode_message(alert))
        assert outcome.status == "stored"
        stored = api.get(f"/api/v1/alerts/{alert.alert_id}").json()
        assert stored["location_source"] == source
    camera_alert = api.get(f"/api/v1/alerts/{locator_cases[1][0].alert_id}").json()
    assert camera_alert["location"] == {"lat": camera.location.lat, "lon": camera.location.lon}
