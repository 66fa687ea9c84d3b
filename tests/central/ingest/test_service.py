"""The ingest service called directly, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cases.actor import Actor, Role
from gridwatch_central.db import repository
from gridwatch_central.db.tables import AlertRow, IncidentRow
from gridwatch_central.ingest.service import IncomingMessage
from gridwatch_central.runtime import CentralRuntime
from gridwatch_central.services import cases
from gridwatch_contract.codec import encode_alert, encode_message
from gridwatch_contract.messages import AlertState, EventType, GeoPoint, Snapshot
from tests.central.helpers import DEMO_CODES, TINY_JPEG, alert_topic, make_alert

TOPIC = "gridwatch/v1/alerts/edge-01/cam-01/crowd"
OPERATOR = Actor("op-1", Role.OPERATOR)


def test_same_alert_twice_is_stored_once_with_one_incident(runtime: CentralRuntime) -> None:
    payload = encode_message(make_alert())
    first = runtime.ingest.handle(TOPIC, payload)
    second = runtime.ingest.handle(TOPIC, payload)
    assert (first.status, second.status) == ("stored", "duplicate")
    assert first.incident_id is not None
    assert first.case_id is None  # awaits review: crowd has no auto-verify rule
    assert second.incident_id is None
    assert runtime.summary() == {"alerts": 1, "incidents": 1, "cases": 0, "rejected": 0}
    counts = runtime.ingest_metrics.counts()
    assert (counts.received, counts.stored, counts.duplicates) == (2, 1, 1)


def test_verified_incident_opens_a_registered_case_in_its_grid(runtime: CentralRuntime) -> None:
    alert = make_alert()
    outcome = runtime.ingest.handle(TOPIC, encode_message(alert))
    assert outcome.incident_id is not None
    with runtime.sessions.begin() as session:
        _, opened = runtime.review.verify(session, outcome.incident_id, OPERATOR)
    with runtime.sessions() as session:
        case = cases.get_case(session, opened.id)
        stored = repository.get_alert(session, Scope.everything(), alert.alert_id)
    assert case is not None
    assert stored is not None
    assert case.state == "REGISTERED"
    assert case.case_number.startswith("GW-")
    assert case.case_number.endswith(f"{case.id:06d}")
    assert (case.grid_l1_code, case.grid_l2_code, case.grid_l3_code) == DEMO_CODES
    assert case.title == "人员聚集（黄水社区第二网格）"
    # Crowd (90001, 社会治安) goes to the police station with the default 72 h case limit,
    # counted on the server clock from registration.
    assert case.department == "pcs"
    assert case.due_at - case.opened_at == timedelta(hours=72)
    assert case.assignee == "hs-wgy-02"
    assert case.opened_at >= stored.received_at
    assert [(e.action, e.actor, e.to_state) for e in case.timeline] == [
        ("registered", "op-1", "REGISTERED")
    ]
    assert case.timeline[0].note is not None
    assert "立案" in case.timeline[0].note
    assert [a.alert_id for a in case.alerts] == [alert.alert_id]
    assert runtime.snapshots.read(stored.snapshot_sha256 or "") == TINY_JPEG


def test_update_and_end_attach_to_the_incident_of_their_event(runtime: CentralRuntime) -> None:
    new = make_alert()
    common = {"event_id": new.event_id, "started_at": new.started_at}
    update = make_alert(**common, sequence=1, state=AlertState.UPDATE)
    end = make_alert(**common, sequence=2, state=AlertState.END)
    outcomes = [runtime.ingest.handle(TOPIC, encode_message(a)) for a in (new, update, end)]
    assert {o.incident_id for o in outcomes} == {outcomes[0].incident_id}
    assert runtime.summary()["incidents"] == 1


def test_alerts_without_location_or_outside_the_grid_make_incidents_without_grid(
    runtime: CentralRuntime,
) -> None:
    nowhere = make_alert(location=None)
    far_away = make_alert(location=GeoPoint(lat=39.9, lon=116.4))
    for alert in (nowhere, far_away):
        outcome = runtime.ingest.handle(TOPIC, encode_message(alert))
        assert outcome.status == "stored"
        assert outcome.incident_id is not None
        with runtime.sessions.begin() as session:
            _, opened = runtime.review.verify(session, outcome.incident_id, OPERATOR)
        with runtime.sessions() as session:
            case = cases.get_case(session, opened.id)
        assert case is not None
        assert (case.grid_l1_code, case.grid_l2_code, case.grid_l3_code) == (None, None, None)
        assert case.alerts[0].grid_l3_code is None
        assert case.timeline[0].note is not None
        assert "无网格" in case.timeline[0].note


def test_an_update_whose_new_was_lost_still_opens_an_incident(runtime: CentralRuntime) -> None:
    orphan = make_alert(sequence=3, state=AlertState.UPDATE)
    outcome = runtime.ingest.handle(
        alert_topic(runtime.config.broker, orphan), encode_message(orphan)
    )
    assert outcome.incident_id is not None


def test_event_types_without_a_category_are_stored_without_incident(
    runtime: CentralRuntime,
) -> None:
    offline = make_alert(event_type=EventType.CAMERA_OFFLINE)
    outcome = runtime.ingest.handle(TOPIC, encode_message(offline))
    assert (outcome.status, outcome.incident_id) == ("stored", None)
    assert runtime.summary() == {"alerts": 1, "incidents": 0, "cases": 0, "rejected": 0}


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
    assert runtime.summary() == {"alerts": 0, "incidents": 0, "cases": 0, "rejected": 1}


def test_clean_snapshot_is_stored_beside_the_annotated_one(runtime: CentralRuntime) -> None:
    clean = TINY_JPEG[:-2] + b"\x00\xff\xd9"  # another byte string, so another hash
    alert = make_alert(clean_snapshot=Snapshot(data=clean, width=8, height=8))
    runtime.ingest.handle(TOPIC, encode_message(alert))
    with runtime.sessions() as session:
        row = session.scalars(select(AlertRow).where(AlertRow.alert_id == alert.alert_id)).one()
    assert row.clean_snapshot_sha256 is not None
    assert row.clean_snapshot_sha256 != row.snapshot_sha256
    assert runtime.snapshots.read(row.clean_snapshot_sha256) == clean


def test_framed_alert_is_stored_with_both_snapshots_byte_identical(
    runtime: CentralRuntime,
) -> None:
    clean = TINY_JPEG[:-2] + b"\x00\xff\xd9"
    alert = make_alert(clean_snapshot=Snapshot(data=clean, width=8, height=8))
    framed = encode_alert(alert)
    assert b"\x00" + TINY_JPEG + clean in framed
    assert runtime.ingest.handle(TOPIC, framed).status == "stored"
    # The same alert in plain JSON is the same alert: a redelivery, not a second one.
    assert runtime.ingest.handle(TOPIC, encode_message(alert)).status == "duplicate"
    with runtime.sessions() as session:
        row = session.scalars(select(AlertRow).where(AlertRow.alert_id == alert.alert_id)).one()
    assert runtime.snapshots.read(row.snapshot_sha256 or "") == TINY_JPEG
    assert runtime.snapshots.read(row.clean_snapshot_sha256 or "") == clean


def test_framed_payload_with_a_bad_attachment_is_quarantined_verbatim(
    runtime: CentralRuntime,
) -> None:
    payload = encode_alert(make_alert()) + b"\xff\xd8 unclaimed"
    outcome = runtime.ingest.handle(TOPIC, payload)
    assert (outcome.status, outcome.code) == ("rejected", "bad_attachment")
    with runtime.sessions() as session:
        page = repository.list_quarantine(session, Scope.everything(), limit=10, offset=0)
    assert [(row.payload, row.error_code) for row in page.items] == [(payload, "bad_attachment")]
    assert runtime.ingest_metrics.counts().rejected == {"bad_attachment": 1}


def test_an_events_alerts_in_one_batch_follow_its_first_into_one_incident(
    runtime: CentralRuntime,
) -> None:
    first = make_alert(confidence=0.5)
    updates = [
        make_alert(
            event_id=first.event_id,
            sequence=n,
            state=AlertState.UPDATE,
            confidence=0.5 + n / 10,
        )
        for n in (1, 2, 3)
    ]
    elsewhere = make_alert(location=GeoPoint(lat=30.2390, lon=108.3985))  # 1.1 km away
    at = runtime.clock()
    batch = [
        IncomingMessage(TOPIC, encode_message(alert), at) for alert in (first, *updates, elsewhere)
    ]
    outcomes = runtime.ingest.handle_batch(batch)
    assert [o.status for o in outcomes] == ["stored"] * 5
    assert len({o.incident_id for o in outcomes[:4]}) == 1
    assert outcomes[4].incident_id != outcomes[0].incident_id
    with runtime.sessions() as session:
        incident = session.get(IncidentRow, outcomes[0].incident_id)
        linked = session.scalars(
            select(AlertRow.incident_id).where(AlertRow.event_id == first.event_id)
        ).all()
    assert incident is not None
    assert (incident.alert_count, incident.best_alert_id) == (4, updates[-1].alert_id)
    assert linked == [outcomes[0].incident_id] * 4
