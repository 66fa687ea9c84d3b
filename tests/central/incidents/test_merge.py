"""Alerts → incidents: radius, window, category, event and camera; best alert; auto-verify."""

from __future__ import annotations

from typing import Any

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import AlertState, EventType, GeoPoint
from tests.central.api.clients import admin_client
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import make_alert

HERE = GeoPoint(lat=30.2290, lon=108.3985)
PARKING = {"event_type": EventType.ILLEGAL_PARKING}


def _ingest(runtime: CentralRuntime, clock: ManualClock, minute: float, **fields: Any) -> int:
    clock.at(minute)
    outcome = runtime.ingest.handle("gw/v1/alerts", encode_message(make_alert(**fields)))
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_radius_window_and_category_decide_the_incident(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    first = _ingest(loop_runtime, clock, 0, location=HERE, **PARKING)
    # 09009: 40 m and 60 min.
    near = GeoPoint(lat=30.2293, lon=108.3985)  # 33 m north
    far = GeoPoint(lat=30.2295, lon=108.3985)  # 56 m north
    assert _ingest(loop_runtime, clock, 10, location=near, **PARKING) == first
    assert _ingest(loop_runtime, clock, 11, location=far, **PARKING) != first
    # The window runs from the incident's last alert (minute 10), not its first.
    assert _ingest(loop_runtime, clock, 69, location=HERE, **PARKING) == first
    assert _ingest(loop_runtime, clock, 130, location=HERE, **PARKING) != first
    # Another category at the same spot is another problem.
    assert _ingest(loop_runtime, clock, 131, location=HERE) not in {first}


def test_alerts_of_one_event_follow_their_incident_and_the_best_alert_wins(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    new = make_alert(confidence=0.6, **PARKING)
    clock.at(0)
    incident = loop_runtime.ingest.handle("gw/v1/alerts", encode_message(new)).incident_id
    # The update comes from 200 m away (a moving object) and 2 h later: same event, same incident.
    update = make_alert(
        event_id=new.event_id,
        started_at=new.started_at,
        sequence=1,
        state=AlertState.UPDATE,
        confidence=0.95,
        location=GeoPoint(lat=30.2308, lon=108.3985),
        **PARKING,
    )
    clock.at(120)
    assert (
        loop_runtime.ingest.handle("gw/v1/alerts", encode_message(update)).incident_id == incident
    )
    detail = admin_client(loop_runtime).get(f"/api/v1/incidents/{incident}").json()
    assert (detail["alert_count"], detail["best_confidence"]) == (2, 0.95)
    assert detail["best_alert_id"] == str(update.alert_id)
    assert detail["best_snapshot_url"] == f"/api/v1/alerts/{update.alert_id}/snapshot"
    assert [a["alert_id"] for a in detail["alerts"]] == [str(new.alert_id), str(update.alert_id)]
    # The update joined an incident awaiting review: the timeline (the queue's live feed) says so.
    assert [e["action"] for e in detail["timeline"]] == ["opened", "merged"]
    assert detail["timeline"][1]["details"] == {"alerts": 1, "alert_count": 2}


def test_alerts_without_location_merge_only_per_camera(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    first = _ingest(loop_runtime, clock, 0, location=None, camera_id="cam-1", **PARKING)
    assert _ingest(loop_runtime, clock, 1, location=None, camera_id="cam-1", **PARKING) == first
    assert _ingest(loop_runtime, clock, 2, location=None, camera_id="cam-2", **PARKING) != first


def test_auto_verify_rule_opens_the_case_on_ingest(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    clock.at(0)
    low = make_alert(event_type=EventType.LINE_CROSSING, confidence=0.5)
    outcome = loop_runtime.ingest.handle("gw/v1/alerts", encode_message(low))
    assert outcome.case_id is None  # below the 0.9 rule: waits for an operator
    high = make_alert(event_type=EventType.LINE_CROSSING, confidence=0.92)
    merged = loop_runtime.ingest.handle("gw/v1/alerts", encode_message(high))
    assert merged.incident_id == outcome.incident_id
    assert merged.case_id is not None  # the merged best alert now meets the rule
    assert loop_runtime.summary()["cases"] == 1
