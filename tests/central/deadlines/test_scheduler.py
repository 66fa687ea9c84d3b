"""The deadline scheduler: alarms once, escalation once, across restarts and two processes."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from gridwatch_central.cases.service import CaseService
from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.tables import SupervisionRow, TimelineRow
from gridwatch_central.deadlines import Alarm, DeadlineScheduler
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import EventType, GeoPoint
from tests.central.case_loop_helpers import OPERATOR, T0, ManualClock
from tests.central.helpers import make_alert

CASES = 12


def _open_emergency_cases(runtime: CentralRuntime, count: int) -> list[int]:
    """Line crossings at ≥ 0.9 verify themselves (auto-verify rule) and open cases."""
    case_ids = []
    for index in range(count):
        # 33 m apart: beyond the 20 m merge radius of 90003, so one incident each.
        where = GeoPoint(lat=30.2290 + index * 0.0003, lon=108.3985)
        alert = make_alert(event_type=EventType.LINE_CROSSING, confidence=0.95, location=where)
        outcome = runtime.ingest.handle("gw/v1/alerts", encode_message(alert))
        assert outcome.case_id is not None
        case_ids.append(outcome.case_id)
    return case_ids


def _count(
    runtime: CentralRuntime, model: type[SupervisionRow] | type[TimelineRow], **where: str
) -> int:
    with runtime.sessions() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query) or 0


def test_emergency_auto_verified_case_starts_at_the_district(
    loop_runtime: CentralRuntime,
) -> None:
    (case_id,) = _open_emergency_cases(loop_runtime, 1)
    with loop_runtime.sessions() as session:
        entries = session.scalars(select(TimelineRow).where(TimelineRow.case_id == case_id)).all()
    assert [(e.action, e.actor) for e in entries] == [("registered", "system")]
    assert entries[0].details is not None
    assert (entries[0].details["handling_level"], entries[0].details["assignee"]) == (0, "sz-zhzx")
    assert "紧急" in (entries[0].note or "")


def test_two_schedulers_on_one_database_raise_each_alarm_once(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    case_ids = _open_emergency_cases(loop_runtime, CASES)
    # REGISTERED must be dispatched within 1 h: at +2 h every case is past yellow and red.
    clock.now = T0 + timedelta(hours=2)
    url = loop_runtime.config.database_url
    engines = [make_engine(url), make_engine(url)]  # two "processes", two connection pools
    try:
        schedulers = [
            DeadlineScheduler(
                make_sessions(engine),
                CaseService(loop_runtime.router, clock),
                clock,
                interval_s=30,
            )
            for engine in engines
        ]
        results: list[list[Alarm]] = [[], []]
        barrier = threading.Barrier(2)

        def run(index: int) -> None:
            barrier.wait()
            for _ in range(3):
                results[index] += schedulers[index].tick()

        threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        raised = results[0] + results[1]
        assert sorted((a.case_id, a.level) for a in raised) == sorted(
            (case_id, level) for case_id in case_ids for level in ("yellow", "red")
        )
        assert _count(loop_runtime, SupervisionRow) == 2 * CASES
        assert _count(loop_runtime, TimelineRow, action="escalated") == CASES
        assert _count(loop_runtime, TimelineRow, action="supervised") == CASES

        # A restarted scheduler finds its state in the database and fires nothing again.
        restarted = DeadlineScheduler(
            make_sessions(engines[0]), CaseService(loop_runtime.router, clock), clock, interval_s=30
        )
        assert restarted.tick() == []
        assert _count(loop_runtime, TimelineRow, action="escalated") == CASES
    finally:
        for engine in engines:
            engine.dispose()


def test_red_escalation_climbs_the_grid_while_no_department_has_the_case(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    alert = make_alert(event_type=EventType.LITTERING)
    incident_id = loop_runtime.ingest.handle("gw/v1/alerts", encode_message(alert)).incident_id
    assert incident_id is not None
    with loop_runtime.sessions.begin() as session:
        _, case = loop_runtime.review.verify(session, incident_id, OPERATOR)
    assert (case.handling_level, case.assignee) == (3, "hs-wgy-02")
    clock.now = T0 + timedelta(hours=1, minutes=1)  # dispatch limit 1 h
    alarms = loop_runtime.scheduler.tick()
    assert [(a.level, a.escalated_to) for a in alarms] == [("yellow", None), ("red", "hs-sq-wgz")]
    with loop_runtime.sessions() as session:
        refreshed = session.get(type(case), case.id)
        assert refreshed is not None
        assert (refreshed.handling_level, refreshed.assignee) == (2, "hs-sq-wgz")
