"""The ingest service called directly, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import repository
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.services import cases
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import AlertState, GeoPoint
from tests.central.helpers import DEMO_CODES, TINY_JPEG, alert_topic, make_alert

TOPIC = "gridwatch/v1/alerts/edge-01/cam-01/crowd"


def test_same_alert_twice_is_stored_once_with_one_case(runtime: CentralRuntime) -> None:
    payload = encode_message(make_alert())
    first = runtime.ingest.handle(TOPIC, payload)
    second = runtime.ingest.handle(TOPIC, payload)
    assert (first.status, second.status) == ("stored", "duplicate")
    assert first.case_id is not None
    assert second.case_id is None
    assert runtime.summary() == {"alerts": 1, "cases": 1, "rejected": 0}
    counts = runtime.ingest_metrics.counts()
    assert (counts.received, counts.stored, counts.duplicates) == (2, 1, 1)


def test_new_alert_opens_a_registered_case_in_its_grid(runtime: CentralRuntime) -> None:
    alert = make_alert()
    outcome = runtime.ingest.handle(TOPIC, encode_message(alert))
    assert outcome.case_id is not None
    with runtime.sessions() as session:
        case = cases.get_case(session, Scope.everything(), outcome.case_id)
        stored = repository.get_alert(session, Scope.everything(), alert.alert_id)
    assert case is not None
    assert stored is not None
    assert case.state == "REGISTERED"
    assert case.case_number.startswith("GW-")
    assert case.case_number.endswith(f"{case.id:06d}")
    assert (case.grid_l1_code, case.grid_l2_code, case.grid_l3_code) == DEMO_CODES
    assert case.title == "人员聚集（黄水社区第二网格）"
    # The time limit runs on the server clock, whatever the edge's clock says.
    assert case.due_at - case.opened_at == timedelta(hours=24)
    assert case.opened_at == stored.received_at
    assert [(e.action, e.actor, e.to_state) for e in case.timeline] == [
        ("registered", "system", "REGISTERED")
    ]
    assert case.timeline[0].note is not None
    assert "立案" in case.timeline[0].note
    assert runtime.snapshots.read(stored.snapshot_sha256 or "") == TINY_JPEG


def test_update_and_end_attach_to_the_case_of_their_event(runtime: CentralRuntime) -> None:
    new = make_alert()
    common = {"event_id": new.event_id, "started_at": new.started_at}
    update = make_alert(**common, sequence=1, state=AlertState.UPDATE)
    end = make_alert(**common, sequence=2, state=AlertState.END)
    outcomes = [runtime.ingest.handle(TOPIC, encode_message(a)) for a in (new, update, end)]
    assert {o.case_id for o in outcomes} == {outcomes[0].case_id}
    assert outcomes[0].case_id is not None
    with runtime.sessions() as session:
        case = cases.get_case(session, Scope.everything(), outcomes[0].case_id)
    assert case is not None
    assert [a.sequence for a in case.alerts] == [0, 1, 2]
    assert [e.action for e in case.timeline] == ["registered", "event_ended"]
    assert runtime.summary()["cases"] == 1


def test_alerts_without_location_or_outside_the_grid_open_cases_without_grid(
    runtime: CentralRuntime,
) -> None:
    nowhere = make_alert(location=None)
    far_away = make_alert(location=GeoPoint(lat=39.9, lon=116.4))
    for alert in (nowhere, far_away):
        outcome = runtime.ingest.handle(TOPIC, encode_message(alert))
        assert outcome.status == "stored"
        assert outcome.case_id is not None
        with runtime.sessions() as session:
            case = cases.get_case(session, Scope.everything(), outcome.case_id)
        assert case is not None
        assert (case.grid_l1_code, case.grid_l2_code, case.grid_l3_code) == (None, None, None)
        assert case.alerts[0].grid_l3_code is None
        assert case.timeline[0].note is not None
        assert "无网格" in case.timeline[0].note


def test_an_update_whose_new_was_lost_still_opens_a_case(runtime: CentralRuntime) -> None:
    orphan = make_alert(sequence=3, state=AlertState.UPDATE)
    outcome = runtime.ingest.handle(
        alert_topic(runtime.config.broker, orphan), encode_message(orphan)
    )
    assert outcome.case_id is not None
    with runtime.sessions() as session:
        case = cases.get_case(session, Scope.everything(), outcome.case_id)
    assert case is not None
    assert case.timeline[0].note is not None
    assert "'new' alert was not received" in case.timeline[0].note


def test_invalid_payload_is_quarantined_not_raised(runtime: CentralRuntime) -> None:
    outcome = runtime.ingest.handle(TOPIC, b"\xff not json")
    assert (outcome.status, outcome.code) == ("rejected", "malformed_json")
    assert outcome.reason is not None
    assert "UTF-8 JSON" in outcome.reason
    with runtime.sessions() as session:
        page = repository.list_quarantine(session, Scope.everything(), limit=10, offset=0)
    assert [(row.topic, row.payload, row.error_code) for row in page.items] == [
        (TOPIC, b"\xff not json", "malformed_json")
    ]
    assert runtime.ingest_metrics.counts().rejected == {"malformed_json": 1}
    assert runtime.summary() == {"alerts": 0, "cases": 0, "rejected": 1}
