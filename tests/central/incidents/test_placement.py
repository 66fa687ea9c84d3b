"""A batch's events placed at once: the same incidents as one after the other, and the race
of two central processes opening an incident for one new event."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text

from gridwatch_central.incidents import AlertFacts, EventAlerts, NewAlert, place_events
from gridwatch_central.ingest.service import IncomingMessage, IngestOutcome
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import AlertMessage, AlertState, EventType, GeoPoint
from tests.central.api.clients import admin_client
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import make_alert, wait_until

TOPIC = "gw/v1/alerts"
HERE = GeoPoint(lat=30.2290, lon=108.3985)
PARKING = {"event_type": EventType.ILLEGAL_PARKING}  # 09009: 40 m and 60 min


def _north(metres: float) -> GeoPoint:
    return GeoPoint(lat=HERE.lat + metres / 111_195, lon=HERE.lon)


def _update(of: AlertMessage, **fields: Any) -> AlertMessage:
    common = {"event_id": of.event_id, "started_at": of.started_at, "state": AlertState.UPDATE}
    return make_alert(**common, sequence=1, **fields)


def _batch(runtime: CentralRuntime, alerts: list[AlertMessage]) -> list[int | None]:
    received = runtime.clock()
    messages = [IncomingMessage(TOPIC, encode_message(a), received) for a in alerts]
    return [outcome.incident_id for outcome in runtime.ingest.handle_batch(messages)]


def _detail(runtime: CentralRuntime, incident_id: int | None) -> dict[str, Any]:
    response = admin_client(runtime).get(f"/api/v1/incidents/{incident_id}")
    document: dict[str, Any] = response.json()
    return document


def test_events_of_one_batch_merge_as_if_placed_one_after_the_other(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    clock.at(0)
    first = make_alert(location=HERE, confidence=0.5, **PARKING)
    alerts = [
        first,  # opens A
        make_alert(location=_north(33), **PARKING),  # joins A, opened earlier in this batch
        make_alert(location=_north(56), **PARKING),  # too far from A: opens B
        make_alert(location=_north(67), **PARKING),  # 11 m from B, 67 m from A: joins B
        make_alert(location=_north(36), **PARKING),  # within both: the nearer, B (20 m)
        _update(first, location=_north(200), confidence=0.9, **PARKING),  # its event's: A
        make_alert(location=HERE),  # a crowd at A's place is another problem: opens C
    ]
    a, a_near, b, b_near, b_nearer, a_update, c = _batch(loop_runtime, alerts)
    assert a == a_near == a_update
    assert b == b_near == b_nearer
    assert len({a, b, c}) == 3
    assert loop_runtime.summary()["incidents"] == 3
    detail_a = _detail(loop_runtime, a)
    assert (detail_a["alert_count"], detail_a["best_confidence"]) == (3, 0.9)
    assert detail_a["best_alert_id"] == str(alerts[5].alert_id)
    assert _detail(loop_runtime, b)["alert_count"] == 3
    for incident in (a, b, c):
        assert [e["action"] for e in _detail(loop_runtime, incident)["timeline"]] == ["opened"]


def test_an_earlier_event_of_the_batch_keeps_an_incident_in_the_window_for_a_later_one(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    clock.at(0)
    first = make_alert(location=HERE, **PARKING)
    (opened,) = _batch(loop_runtime, [first])
    clock.at(100)  # 100 min later: past the 60 min window of the incident's last alert ...
    # ... unless its own event's update, earlier in the same batch, refreshes it.
    refreshed, joined = _batch(
        loop_runtime,
        [_update(first, location=HERE, **PARKING), make_alert(location=HERE, **PARKING)],
    )
    assert refreshed == joined == opened
    (alone,) = _batch(loop_runtime, [make_alert(location=_north(5), **PARKING)])
    assert alone == opened  # the window now runs from minute 100


def test_a_process_waits_for_another_opening_an_incident_for_the_same_event(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    if loop_runtime.config.database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: there is no such race")
    clock.at(0)
    new = make_alert(location=HERE, **PARKING)
    update = _update(new, location=HERE, **PARKING)
    policy = loop_runtime.router.policy("09009")
    outcome: list[IngestOutcome] = []
    other = threading.Thread(
        target=lambda: outcome.append(loop_runtime.ingest.handle(TOPIC, encode_message(update)))
    )
    # "Another process" places the event's first alert and has not committed yet.
    with loop_runtime.sessions.begin() as session:
        placed = place_events(
            session,
            [EventAlerts(policy, [NewAlert(AlertFacts.of_message(new), clock(), None, None)])],
        )
        other.start()
        wait_until(lambda: _waits_for_an_advisory_lock(loop_runtime))
    other.join(10)
    assert [o.incident_id for o in outcome] == [placed.incidents[0].id]
    assert loop_runtime.summary()["incidents"] == 1
    assert _detail(loop_runtime, placed.incidents[0].id)["alert_count"] == 2


def _waits_for_an_advisory_lock(runtime: CentralRuntime) -> bool:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
        " AND datname = current_database()"
    )
    with runtime.sessions() as session:
        return bool(session.scalar(query))
