"""The case loop on the real 黄水镇 deployment (configs/central.huangshui.yaml), end to end.

The town's cameras publish alerts over the real broker into two 片区: the 集镇片区 (A, urban,
500240101) and the 万胜坝片区 (B, rural, 500240105). Each 片区's operator reviews its own
incidents (核实, 误报, 重复; two alerts of one parked car merge); the town's dispatcher sends the
cases to the departments of routing.huangshui.yaml; the departments' handlers work them. One case
goes to the wrong department (回退), overruns its handling time (督办 → department head), fails
its check (返工) and closes late-handled but on time; one waits too long for dispatch and climbs
the grid ladder (督办 → 龙河村's 网格长) before closing on time; one is still in progress; one is
voided (作废). All of it on the test's clock, on SQLite and PostgreSQL, through the HTTP API;
the metrics are checked against hand-computed values in tests/central/huangshui_metrics.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.messages import GeoPoint
from tests.central.case_loop_helpers import ManualClock
from tests.central.helpers import TestClient, huangshui_config
from tests.central.huangshui_metrics import check_metrics, check_scoping
from tests.central.huangshui_town import Town, seen_at

# Street/town (一级), community/village (二级) and micro-grid (三级) codes of the scenario.
A, B = "500240101000000", "500240105000000"  # 集镇片区, 万胜坝片区
HS_1, HS_2, HS_3 = "500240101001001", "500240101001002", "500240101001003"  # 黄水社区 一/二/三网格
WSB_1, LH_3 = "500240105001001", "500240105002003"  # 万胜坝村第一网格, 龙河村第三网格
# Where the cameras look (their positions in cameras.huangshui.yaml, inside their micro-grids).
CROSSING = GeoPoint(lat=30.252899, lon=108.392988)  # hs-cam-01 集镇十字路口, 黄水社区第一网格
CROSSING_7M = GeoPoint(lat=30.25295, lon=108.39302)  # 6.5 m away: inside the 40 m parking radius
MARKET = GeoPoint(lat=30.24894, lon=108.381103)  # hs-cam-02 农贸市场, 黄水社区第三网格
BRIDGE = GeoPoint(lat=30.221435, lon=108.396066)  # hs-cam-08 万胜坝村公路桥头
LEVEE = GeoPoint(lat=30.208978, lon=108.39765)  # hs-cam-09 龙河村河堤, 龙河村第三网格
DISPATCHER = "hs-dispatch"  # 黄水镇综治中心 派遣员: the whole town
OP_A, OP_B = "jz-op", "wsb-op"  # each 片区's 值班员


@pytest.fixture
def town(
    database_url: str, broker: BrokerConfig, tmp_path: Path, clock: ManualClock, edge: TestClient
) -> Iterator[Town]:
    config = huangshui_config(database_url, broker, tmp_path)
    runtime = CentralRuntime(config, clock=clock, run_scheduler=False)
    runtime.start()
    try:
        yield Town(runtime, clock, edge, broker)
    finally:
        runtime.stop()


def test_the_huangshui_scenario(town: Town) -> None:
    _people(town)
    incidents = _alerts(town)
    k1, k2, k3, k4 = _review(town, incidents)
    _first_case_until_accepted(town, k1)
    _third_and_fourth_cases(town, k3, k4)
    _deadlines_escalate(town, k1, k2)
    _first_case_closes(town, k1)
    _second_case_closes(town, k2)
    town.clock.at(300)  # the metrics are read at T0 + 300 min (14:00 local)
    assert town.runtime.scheduler.tick() == []
    check_scoping(town, incidents, (k1, k2, k3, k4))
    check_metrics(town)


def _people(town: Town) -> None:
    town.add_user(OP_A, "operator", grids=("500240101",))
    town.add_user(OP_B, "operator", grids=("500240105",))
    town.add_user(DISPATCHER, "dispatcher", grids=("500240",))
    for department in ("jxj", "cgzd", "sthb", "pcs"):
        town.add_user(f"{department}-01", "department_handler", departments=department)


def _alerts(town: Town) -> tuple[int, ...]:
    """Minutes after T0 (09:00 local, Monday 2 November 2026) on the server clock."""
    a1 = town.alert(0, "hs-cam-01", "illegal_parking", CROSSING, confidence=0.7)
    a2 = town.alert(1, "hs-cam-09", "illegal_parking", LEVEE)
    a3 = town.alert(2, "hs-cam-02", "crowd", MARKET)
    a4 = town.alert(3, "hs-cam-01", "road_blockage", CROSSING)
    # hs-cam-10 overlooks the 一/二网格 boundary: the litter lies in the 二网格, as its
    # homography places the object at pixel (960, 560).
    a5 = town.alert(4, "hs-cam-10", "littering", **seen_at(960, 560))
    a6 = town.alert(5, "hs-cam-01", "illegal_parking", CROSSING_7M, confidence=0.9)
    a7 = town.alert(6, "hs-cam-08", "crowd", BRIDGE)
    assert a6["incident_id"] == a1["incident_id"]  # 6.5 m and 5 min apart: one parked car
    places = [(a["grid_l1_code"], a["grid_l3_code"]) for a in (a1, a2, a3, a4, a5, a7)]
    assert places == [(A, HS_1), (B, LH_3), (A, HS_3), (A, HS_1), (A, HS_2), (B, WSB_1)]
    assert a5["location_source"] == "ground"
    incidents = tuple(a["incident_id"] for a in (a1, a2, a3, a4, a5, a7))
    assert len(set(incidents)) == 6
    merged = town.get(f"/incidents/{a1['incident_id']}")
    assert (merged["alert_count"], merged["best_confidence"]) == (2, 0.9)
    return incidents


def _review(town: Town, incidents: tuple[int, ...]) -> list[int]:
    i1, i2, i3, i4, i5, i6 = incidents
    k1 = town.post(10, OP_A, f"/incidents/{i1}/verify")["case"]
    town.post(10, OP_A, f"/incidents/{i3}/reject", {"reason": "农贸市场早市, 正常人流"})
    duplicate = {"duplicate_of": i1, "note": "同一辆违停车辆堵住路口"}
    marked = town.post(10, OP_A, f"/incidents/{i4}/duplicate", duplicate)["incident"]
    assert (marked["status"], marked["duplicate_of_id"]) == ("DUPLICATE", i1)
    assert town.status(f"/incidents/{i2}/verify", OP_A, post=True) == 404  # B is not A's
    k2 = town.post(12, OP_B, f"/incidents/{i2}/verify")["case"]
    k3 = town.post(14, OP_A, f"/incidents/{i5}/verify")["case"]
    k4 = town.post(16, OP_B, f"/incidents/{i6}/verify")["case"]
    # routing.huangshui.yaml: parking in the 集镇 → 交巡警, in a village → 城管; litter → 生态环境
    # 办; a crowd → 派出所. Each case goes to its micro-grid's 专职网格员 first.
    assert [(k["department"], k["area_class"], k["assignee"]) for k in (k1, k2, k3, k4)] == [
        ("jxj", "urban", "hs-wgy-01"),
        ("cgzd", "rural", "lh-wgy-03"),
        ("sthb", "urban", "hs-wgy-02"),
        ("pcs", "rural", "wsb-wgy-01"),
    ]
    assert k1["case_number"] == f"GW-20261102-{k1['id']:06d}"
    return [k["id"] for k in (k1, k2, k3, k4)]


def _first_case_until_accepted(town: Town, k1: int) -> None:
    """K1: dispatched to 城管 by mistake, 回退, re-dispatched to the routed 交巡警, accepted."""
    town.post(15, DISPATCHER, f"/cases/{k1}/dispatch", {"department": "cgzd"})
    returned = town.post(25, "cgzd-01", f"/cases/{k1}/return", {"reason": "集镇违停归交巡警"})
    assert (returned["case"]["state"], returned["case"]["department"]) == ("RETURNED", "jxj")
    assert town.status(f"/cases/{k1}", "cgzd-01") == 404  # no longer 城管's case
    town.post(30, DISPATCHER, f"/cases/{k1}/dispatch")  # the routed default: jxj
    accepted = town.post(35, "jxj-01", f"/cases/{k1}/accept")
    # The 集镇 parking route allows 2 h to handle: 09:35 + 2 h = 11:35 local = 03:35 UTC.
    assert accepted["case"]["step_due_at"].startswith("2026-11-02T03:35")


def _third_and_fourth_cases(town: Town, k3: int, k4: int) -> None:
    """K3 is dispatched and accepted and stays in progress; K4 (a crowd at the bridge) was the
    village's registered gathering and is voided."""
    town.post(20, DISPATCHER, f"/cases/{k3}/dispatch")
    town.post(30, "sthb-01", f"/cases/{k3}/accept")
    town.post(22, DISPATCHER, f"/cases/{k4}/void", {"reason": "村民集会已向派出所报备"})
    # The 派出所 handler may not handle the 生态环境办's case.
    town.clock.at(40)
    assert town.status(f"/cases/{k3}/feedback", "pcs-01", post=True) == 404  # not even visible


def _deadlines_escalate(town: Town, k1: int, k2: int) -> None:
    """T0+140: K1 yellow (80 % of 35→155 is 131), K2 yellow (12 + 48 = 60) and red (12 + 60 =
    72, still undispatched); T0+160: K1 red (155)."""
    town.clock.at(140)
    first = town.runtime.scheduler.tick()
    assert sorted((a.case_id, a.level) for a in first) == sorted(
        [(k1, "yellow"), (k2, "yellow"), (k2, "red")]
    )
    town.clock.at(160)
    second = town.runtime.scheduler.tick()
    # The department had it: to the head of 交巡警 named in routing.huangshui.yaml.
    assert [(a.case_id, a.level, a.escalated_to) for a in second] == [(k1, "red", "jxj-head")]
    assert town.runtime.scheduler.tick() == []  # nothing fires twice
    red = town.get("/supervisions", level="red")
    # K2 was still waiting for dispatch: one grid level up, to 龙河村's 网格长.
    assert {(s["case_id"], s["escalated_to"]) for s in red["items"]} == {
        (k1, "jxj-head"),
        (k2, "lh-wgz"),
    }
    k2_now = town.get(f"/cases/{k2}")
    assert (k2_now["handling_level"], k2_now["assignee"]) == (2, "lh-wgz")
    assert town.get(f"/cases/{k1}")["assignee"] == "jxj-head"


def _first_case_closes(town: Town, k1: int) -> None:
    """K1: late 反馈 (165 > 155), check fails (返工), 反馈 again, 结案, 评价."""
    town.post(165, "jxj-01", f"/cases/{k1}/feedback", {"note": "已劝离", "attachments": ["sha:1"]})
    town.post(175, OP_A, f"/cases/{k1}/check-fail", {"reason": "车辆仍在路口"})
    town.post(200, "jxj-01", f"/cases/{k1}/feedback", {"note": "已拖移"})
    town.post(210, OP_A, f"/cases/{k1}/check-pass")
    evaluated = town.post(215, DISPATCHER, f"/cases/{k1}/evaluate", {"score": 4})
    assert evaluated["case"]["state"] == "EVALUATED"
    timeline = town.get(f"/cases/{k1}/timeline")
    assert [(entry["action"], entry["actor"]) for entry in timeline] == [
        ("registered", "user:jz-op"),
        ("dispatched", "user:hs-dispatch"),
        ("returned", "user:cgzd-01"),
        ("dispatched", "user:hs-dispatch"),
        ("accepted", "user:jxj-01"),
        ("warned", "system"),
        ("supervised", "system"),
        ("escalated", "system"),
        ("feedback", "user:jxj-01"),
        ("check_failed", "user:jz-op"),
        ("feedback", "user:jxj-01"),
        ("check_passed", "user:jz-op"),
        ("evaluated", "user:hs-dispatch"),
    ]
    assert timeline[8]["attachments"] == ["sha:1"]


def _second_case_closes(town: Town, k2: int) -> None:
    """K2: dispatched at last (150) to 城管, accepted, 反馈 well within 8 h, 结案 by B."""
    dispatched = town.post(150, DISPATCHER, f"/cases/{k2}/dispatch")
    assert (dispatched["case"]["department"], dispatched["case"]["assignee"]) == (
        "cgzd",
        "cgzd-01",
    )
    town.post(170, "cgzd-01", f"/cases/{k2}/accept")
    town.post(240, "cgzd-01", f"/cases/{k2}/feedback", {"note": "车主已驶离"})
    closed = town.post(250, OP_B, f"/cases/{k2}/check-pass")
    assert closed["case"]["state"] == "CLOSED"
    # The village parking route gives the whole case 24 h: 09:12 + 24 h, local = 01:12 UTC.
    assert closed["case"]["due_at"].startswith("2026-11-03T01:12")
