"""The whole loop on the example deployment, on SQLite and PostgreSQL, checked by hand.

Alerts → incidents (two merge) → review (one 误报, one duplicate) → 立案 → 派遣 to the wrong
department → 回退 → 派遣 → 处置 → overdue (督办, escalated to the department head) → 反馈 →
返工 → 反馈 → 结案 → 评价; a second case escalates up the grid while waiting for dispatch, gets
a 延期 and a 挂账, and closes on time; a third stays in progress; a fourth is voided.
Every metric is compared with the value worked out by hand in the comments.
"""

from __future__ import annotations

from typing import Any

import pytest

from gridwatch_central.cases.actor import Actor
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.codec import encode_message
from gridwatch_contract.messages import EventType, GeoPoint, ModelInfo
from tests.central.api.clients import admin_client
from tests.central.case_loop_helpers import DISPATCHER, OPERATOR, ActorTokens, ManualClock, handler
from tests.central.helpers import make_alert
from tests.central.metric_rows import expect, rates, table

A = GeoPoint(lat=30.2290, lon=108.3985)  # 黄水社区第二网格 (urban)
A_7M = GeoPoint(lat=30.22905, lon=108.39855)  # 7.3 m from A: inside the 40 m parking radius
A_100M = GeoPoint(lat=30.2299, lon=108.3985)  # 100 m north of A, same micro-grid
B = GeoPoint(lat=30.2365, lon=108.385)  # 万胜坝村第一网格 (rural)
HS_L2, WSB_L2, HS_L1 = "500240101001000", "500240101002000", "500240101000000"
MINUTE = 60.0


def _ingest(runtime: CentralRuntime, clock: ManualClock, minute: float, **fields: Any) -> int:
    clock.at(minute)
    alert = make_alert(**fields)
    outcome = runtime.ingest.handle("gw/v1/alerts", encode_message(alert))
    assert outcome.status == "stored"
    assert outcome.incident_id is not None
    return outcome.incident_id


class Api:
    def __init__(self, runtime: CentralRuntime, clock: ManualClock) -> None:
        # Reads as the admin; each action carries its own actor's token.
        self.client = admin_client(runtime)
        self.tokens = ActorTokens(runtime)
        self.clock = clock

    def post(self, minute: float, path: str, actor: Actor, body: dict[str, Any]) -> Any:
        self.clock.at(minute)
        response = self.client.post(f"/api/v1{path}", json=body, headers=self.tokens.headers(actor))
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"/api/v1{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()


def test_the_case_loop_scenario(loop_runtime: CentralRuntime, clock: ManualClock) -> None:
    api = Api(loop_runtime, clock)
    incidents = _alerts_become_incidents(loop_runtime, clock, api)
    c1, c2, c3, c4 = _review(api, incidents)
    _first_case_until_overdue(api, c1, c3, c4)
    _scheduler_escalates(loop_runtime, api, c1, c2)
    _first_case_closes(api, c1)
    _second_case_closes(api, c2)
    clock.at(320)
    assert loop_runtime.scheduler.tick() == []
    _check_metrics(api)


def _alerts_become_incidents(
    runtime: CentralRuntime, clock: ManualClock, api: Api
) -> tuple[int, ...]:
    parking = {"event_type": EventType.ILLEGAL_PARKING, "rule_id": "parking-1"}
    litter = {"event_type": EventType.LITTERING, "rule_id": "litter-1"}
    crowd = {"event_type": EventType.CROWD, "rule_id": "crowd-1"}
    yolov8 = ModelInfo(name="yolov8n_int8", version="8.3")

    # --- alerts → incidents (minutes after T0 on the server clock) --------------------------
    i1 = _ingest(runtime, clock, 0, camera_id="cam-A", location=A, confidence=0.7, **parking)
    i2 = _ingest(runtime, clock, 1, camera_id="cam-B", location=B, **litter)
    i3 = _ingest(runtime, clock, 2, camera_id="cam-A", location=A, model=yolov8, **crowd)
    i4 = _ingest(runtime, clock, 3, camera_id="cam-C", location=A_100M, **parking)
    i5 = _ingest(runtime, clock, 4, camera_id="cam-A", location=A, **litter)
    merged = _ingest(runtime, clock, 5, camera_id="cam-A", location=A_7M, confidence=0.9, **parking)
    i6 = _ingest(runtime, clock, 6, camera_id="cam-B", location=B, **crowd)
    assert merged == i1  # 7 m and 5 min apart: one parked car, one incident
    assert len({i1, i2, i3, i4, i5, i6}) == 6
    incident = api.get(f"/incidents/{i1}")
    assert (incident["alert_count"], incident["best_confidence"]) == (2, 0.9)
    assert incident["status"] == "PENDING"
    assert api.get("/incidents", status="PENDING")["total"] == 6
    return i1, i2, i3, i4, i5, i6


def _review(api: Api, incidents: tuple[int, ...]) -> list[int]:
    i1, i2, i3, i4, i5, i6 = incidents
    k1 = api.post(10, f"/incidents/{i1}/verify", OPERATOR, {})["case"]
    api.post(10, f"/incidents/{i3}/reject", OPERATOR, {"reason": "树影晃动, 无人员聚集"})
    dup = api.post(10, f"/incidents/{i4}/duplicate", OPERATOR, {"duplicate_of": i1})
    assert dup["incident"]["status"] == "DUPLICATE"
    k2 = api.post(20, f"/incidents/{i2}/verify", OPERATOR, {})["case"]
    k3 = api.post(20, f"/incidents/{i5}/verify", OPERATOR, {})["case"]
    k4 = api.post(20, f"/incidents/{i6}/verify", OPERATOR, {})["case"]
    # Routing: parking in town → traffic police; litter → environment office; crowd → police.
    assert (k1["department"], k2["department"], k3["department"], k4["department"]) == (
        "jxj",
        "sthb",
        "sthb",
        "pcs",
    )
    assert k2["area_class"] == "rural"
    assert (k1["assignee"], k2["assignee"]) == ("hs-wgy-02", "wsb-wgy-01")
    assert k1["case_number"] == f"GW-20261102-{k1['id']:06d}"
    return [k["id"] for k in (k1, k2, k3, k4)]


def _first_case_until_overdue(api: Api, c1: int, c3: int, c4: int) -> None:
    """K1: wrong department, return, re-dispatch, accept; K3 in progress; K4 voided."""
    api.post(15, f"/cases/{c1}/dispatch", DISPATCHER, {"department": "cgzd"})
    returned = api.post(25, f"/cases/{c1}/return", handler("cgzd"), {"reason": "交通违停归交巡警"})
    assert returned["case"]["state"] == "RETURNED"
    api.post(30, f"/cases/{c1}/dispatch", DISPATCHER, {})  # back to the routed jxj
    accepted = api.post(35, f"/cases/{c1}/accept", handler("jxj"), {})
    assert accepted["case"]["step_due_at"].startswith("2026-11-02T03:35")  # 35 min + 2 h

    # K3 is dispatched and accepted at once; K4 turns out to be nothing and is voided.
    api.post(25, f"/cases/{c3}/dispatch", DISPATCHER, {})
    api.post(30, f"/cases/{c3}/accept", handler("sthb"), {})
    api.post(22, f"/cases/{c4}/void", DISPATCHER, {"reason": "群众电话已报, 重复立案"})

    # A case in progress cannot be closed: 409 with the allowed actions.
    api.clock.at(40)
    refused = api.client.post(
        f"/api/v1/cases/{c3}/check-pass", json={}, headers=api.tokens.headers(OPERATOR)
    )
    assert refused.status_code == 409
    body = refused.json()
    assert (body["code"], body["state"], body["action"]) == (
        "illegal_transition",
        "IN_PROGRESS",
        "check_pass",
    )
    assert "feedback" in body["allowed_actions"]
    # Another department's handler may not touch it.
    foreign = api.client.post(
        f"/api/v1/cases/{c3}/feedback", json={}, headers=api.tokens.headers(handler("jxj"))
    )
    assert (foreign.status_code, foreign.json()["code"]) == (403, "forbidden")


def _scheduler_escalates(runtime: CentralRuntime, api: Api, c1: int, c2: int) -> None:
    """T0+140 min: K1 yellow (at 131), K2 yellow (68) + red (80); T0+160: K1 red (155)."""
    api.clock.at(140)
    first = runtime.scheduler.tick()
    assert sorted((a.case_id, a.level) for a in first) == sorted(
        [(c1, "yellow"), (c2, "yellow"), (c2, "red")]
    )
    api.clock.at(160)
    second = runtime.scheduler.tick()
    assert [(a.case_id, a.level, a.escalated_to) for a in second] == [(c1, "red", "jxj-head")]
    assert runtime.scheduler.tick() == []  # nothing fires twice
    red = api.get("/supervisions", level="red")
    assert red["total"] == 2
    assert {(s["case_id"], s["escalated_to"]) for s in red["items"]} == {
        (c1, "jxj-head"),
        (c2, "wsb-wgz"),  # not yet dispatched: one grid level up, to 万胜坝村's 网格长
    }
    k2_now = api.get(f"/cases/{c2}")
    assert (k2_now["handling_level"], k2_now["assignee"]) == (2, "wsb-wgz")


def _first_case_closes(api: Api, c1: int) -> None:
    """K1: late feedback, failed check (返工), feedback, close, evaluate."""
    api.post(
        165, f"/cases/{c1}/feedback", handler("jxj"), {"note": "已劝离", "attachments": ["sha:1"]}
    )
    api.post(175, f"/cases/{c1}/check-fail", OPERATOR, {"reason": "车辆仍在"})
    api.post(200, f"/cases/{c1}/feedback", handler("jxj"), {"note": "已拖移"})
    api.post(210, f"/cases/{c1}/check-pass", OPERATOR, {})
    evaluated = api.post(215, f"/cases/{c1}/evaluate", DISPATCHER, {"score": 4})
    assert evaluated["case"]["state"] == "EVALUATED"
    timeline = api.get(f"/cases/{c1}/timeline")
    assert [entry["action"] for entry in timeline] == [
        "registered",
        "dispatched",
        "returned",
        "dispatched",
        "accepted",
        "warned",
        "supervised",
        "escalated",
        "feedback",
        "check_failed",
        "feedback",
        "check_passed",
        "evaluated",
    ]
    assert timeline[2]["actor_role"] == "handler"
    assert timeline[8]["attachments"] == ["sha:1"]


def _second_case_closes(api: Api, c2: int) -> None:
    """K2: dispatch, accept, extension, hold, resume, feedback, close."""
    api.post(170, f"/cases/{c2}/dispatch", DISPATCHER, {})
    api.post(180, f"/cases/{c2}/accept", handler("sthb"), {})
    due_before = api.get(f"/cases/{c2}")["due_at"]
    requested = api.post(
        190, f"/cases/{c2}/extensions", handler("sthb"), {"hours": 24, "reason": "需清运车"}
    )
    extension_id = requested["entry"]["details"]["extension_id"]
    api.post(195, f"/cases/{c2}/extensions/{extension_id}/approve", DISPATCHER, {})
    assert due_before.startswith("2026-11-05T01:20")  # registered 01:20 + 72 h
    assert api.get(f"/cases/{c2}")["due_at"].startswith("2026-11-06T01:20")  # + 24 h
    api.post(220, f"/cases/{c2}/hold", DISPATCHER, {"reason": "等待清运车"})
    resumed = api.post(280, f"/cases/{c2}/resume", DISPATCHER, {})
    assert resumed["case"]["state"] == "IN_PROGRESS"
    assert resumed["case"]["due_at"].startswith("2026-11-06T02:20")  # + the 60 min on hold
    api.post(300, f"/cases/{c2}/feedback", handler("sthb"), {})
    api.post(310, f"/cases/{c2}/check-pass", OPERATOR, {})


def _metrics(api: Api, group_by: str, level: int = 3) -> dict[str, dict[str, Any]]:
    result = api.get(
        "/metrics",
        start="2026-11-01T00:00:00+08:00",
        end="2026-12-01T00:00:00+08:00",
        group_by=group_by,
        level=level,
    )
    print(f"\n--- group_by={group_by} level={level} ---\n{table(result['rows'])}")
    return {row["key"]: rates(row) for row in result["rows"]}


def _check_metrics(api: Api) -> None:
    # Live cases K1, K2, K3 (K4 voided). Closed: K1 (at 210 ≤ due 490), K2 (at 310 ≤ due
    # 72 h + 24 h + 1 h): both on time. Feedback: K1, K2; rework: K1. Dispatched: K1, K2, K3;
    # returned: K1. Handling on time: K1 fed back at 165 > its 155 deadline → late; K2 on
    # time. Reviewed incidents: I1, I2, I5, I6 verified, I3 rejected, I4 duplicate.
    # Verify: I1 10 min, I2 19, I5 16, I6 14 → mean 14.75 min = 885 s. Dispatch: K1 5 min,
    # K2 150, K3 5 → 3200 s. Close: K1 200 min, K2 290 → 245 min = 14700 s.
    total = expect(
        cases_due=3,
        closed=2,
        closed_on_time=2,
        with_feedback=2,
        reworked=1,
        dispatched=3,
        dispatched_accurately=2,
        handled_on_time=1,
        incidents_reviewed=6,
        false_alarms=1,
        closure_rate=2 / 3,
        on_time_closure_rate=2 / 3,
        rework_rate=1 / 2,
        accurate_dispatch_rate=2 / 3,
        on_time_handling_rate=1 / 2,
        false_alarm_rate=1 / 6,
        mean_seconds_to_verify=885.0,
        mean_seconds_to_dispatch=3200.0,
        mean_seconds_to_close=14700.0,
        mean_score=4.0,
    )
    assert _metrics(api, "total") == {"all": total}
    # Roll-up: every case and incident lies in 黄水镇, so level 1 is the total.
    assert _metrics(api, "grid", level=1) == {HS_L1: total}

    by_community = _metrics(api, "grid", level=2)
    # 黄水社区: K1, K3; incidents I1, I3 (误报), I4, I5.
    assert by_community[HS_L2] == expect(
        cases_due=2, closed=1, closed_on_time=1, with_feedback=1, reworked=1, dispatched=2,
        dispatched_accurately=1, handled_on_time=0, incidents_reviewed=4, false_alarms=1,
        closure_rate=0.5, on_time_closure_rate=0.5, rework_rate=1.0, accurate_dispatch_rate=0.5,
        on_time_handling_rate=0.0, false_alarm_rate=0.25, mean_seconds_to_verify=13 * MINUTE,
        mean_seconds_to_dispatch=5 * MINUTE, mean_seconds_to_close=200 * MINUTE, mean_score=4.0,
    )  # fmt: skip
    # 万胜坝村: K2 (K4 voided); incidents I2, I6.
    assert by_community[WSB_L2] == expect(
        cases_due=1, closed=1, closed_on_time=1, with_feedback=1, reworked=0, dispatched=1,
        dispatched_accurately=1, handled_on_time=1, incidents_reviewed=2, false_alarms=0,
        closure_rate=1.0, on_time_closure_rate=1.0, rework_rate=0.0, accurate_dispatch_rate=1.0,
        on_time_handling_rate=1.0, false_alarm_rate=0.0, mean_seconds_to_verify=16.5 * MINUTE,
        mean_seconds_to_dispatch=150 * MINUTE, mean_seconds_to_close=290 * MINUTE,
        mean_score=None,
    )  # fmt: skip

    by_department = _metrics(api, "department")
    assert set(by_department) == {"jxj", "sthb", "pcs"}
    jxj, sthb, pcs = by_department["jxj"], by_department["sthb"], by_department["pcs"]
    assert (jxj["closure_rate"], jxj["rework_rate"], jxj["accurate_dispatch_rate"]) == (1, 1, 0)
    assert (jxj["on_time_handling_rate"], jxj["false_alarm_rate"]) == (0, None)
    assert (sthb["cases_due"], sthb["closure_rate"], sthb["accurate_dispatch_rate"]) == (2, 0.5, 1)
    assert (sthb["rework_rate"], sthb["on_time_handling_rate"]) == (0, 1)
    assert sthb["mean_seconds_to_dispatch"] == pytest.approx((150 + 5) / 2 * MINUTE)
    assert (pcs["cases_due"], pcs["closure_rate"]) == (0, None)  # only the voided K4

    by_camera = _metrics(api, "camera")
    # cam-A: K1, K3; I1, I3 (误报), I5 → 1/3. cam-B: K2; I2, I6. cam-C: only I4 (duplicate).
    assert by_camera["cam-A"]["false_alarm_rate"] == pytest.approx(1 / 3)
    assert by_camera["cam-A"]["mean_seconds_to_verify"] == pytest.approx(13 * MINUTE)
    assert (by_camera["cam-A"]["closure_rate"], by_camera["cam-A"]["rework_rate"]) == (0.5, 1)
    assert (by_camera["cam-B"]["false_alarm_rate"], by_camera["cam-B"]["closure_rate"]) == (0, 1)
    assert by_camera["cam-C"]["cases_due"] == 0
    assert (by_camera["cam-C"]["false_alarm_rate"], by_camera["cam-C"]["closure_rate"]) == (0, None)

    by_category = {k: v["false_alarm_rate"] for k, v in _metrics(api, "category").items()}
    assert by_category == {"06010": 0, "09009": 0, "90001": 0.5}
    by_rule = {k: v["false_alarm_rate"] for k, v in _metrics(api, "rule").items()}
    assert by_rule == {"crowd-1": 0.5, "litter-1": 0, "parking-1": 0}
    by_model = {k: v["false_alarm_rate"] for k, v in _metrics(api, "model").items()}
    assert by_model == {"yolov8n_int8@8.3": 1, "yolox_nano@0.1.1": 0}

    report = api.get("/reports/monthly/2026-11")
    assert rates(report["total"]) == total
    assert report["supervisions"] == {"yellow": 2, "red": 2}
    assert [row["key"] for row in report["by_street"]] == [HS_L1]
    assert [row["key"] for row in report["by_community"]] == [HS_L2, WSB_L2]

    csv = api.client.get(
        "/api/v1/metrics.csv",
        params={"start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"},
    )
    assert csv.headers["content-type"].startswith("text/csv")
    header, line = csv.text.splitlines()
    assert header.startswith("group_by,key,cases_due,closed,")
    assert line.startswith("total,all,3,2,2,2,1,3,2,1,6,1,0.666")
