"""The 黄水镇 scenario's metrics, worked out by hand, and who sees what.

Timeline of the scenario (minutes after T0 = 09:00 local; see test_huangshui_scenario.py):

  incident  camera     category       opened  review                  case
  I1        hs-cam-01  09009 parking  0       verified 10             K1 jxj (urban)
  I2        hs-cam-09  09009 parking  1       verified 12             K2 cgzd (rural)
  I3        hs-cam-02  90001 crowd    2       rejected 10 (误报)       -
  I4        hs-cam-01  90002 blockage 3       duplicate of I1 at 10   -
  I5        hs-cam-10  06010 litter   4       verified 14             K3 sthb
  I6        hs-cam-08  90001 crowd    6       verified 16             K4 pcs, voided 22

  K1 registered 10, dispatched 15 (cgzd), returned 25, dispatched 30 (jxj), accepted 35 (handle
     due 35 + 2 h = 155), feedback 165 (late), check failed 175, feedback 200, closed 210 (case
     due 10 + 8 h = 490: on time), evaluated 4.
  K2 registered 12, dispatch due 72 (督办 at 140), dispatched 150, accepted 170 (handle due
     170 + 8 h = 650), feedback 240, closed 250 (case due 12 + 24 h = 1452: on time).
  K3 registered 14, dispatched 20, accepted 30 (handle due 30 + 24 h), still in progress at 300.

Counts in FIGURES order: 应结案 = live (not voided) cases, 结案, 按期结案, 反馈, 返工, 派遣,
准确派遣 (never 回退), 按时处置 (of those with 反馈), 核实 (reviewed incidents), 误报.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.central.huangshui_town import Town
from tests.central.metric_rows import COUNTS, FIGURES, rates, roll_up, row

MIN = 60.0
A, B = "500240101000000", "500240105000000"  # 集镇片区, 万胜坝片区
HS, WSB, LH = "500240101001000", "500240105001000", "500240105002000"  # 黄水社区, 万胜坝村, 龙河村
HS_1, HS_2, HS_3 = "500240101001001", "500240101001002", "500240101001003"
WSB_1, LH_3 = "500240105001001", "500240105002003"
NONE4 = (None, None, None, None)

# All: K1, K2, K3 live (K4 voided); I1..I6.
# 结案率 2/3 (K1, K2), 按期 2/3, 返工率 1/2 (K1 of K1, K2 with 反馈), 准确派遣率 2/3 (K1 returned),
# 按时处置率 1/2 (K1 fed back at 165 > 155), 误报率 1/6 (I3 of six reviewed).
# verify: I1 10, I2 11, I5 10, I6 10 min → 41/4 = 10.25 min = 615 s.
# dispatch: K1 15-10 = 5, K2 150-12 = 138, K3 20-14 = 6 min → 149/3 min = 2980 s.
# close: K1 210-10 = 200, K2 250-12 = 238 min → 219 min = 13140 s. score: K1's 4.
TOTAL = row((3, 2, 2, 2, 1, 3, 2, 1, 6, 1), (2 / 3, 2 / 3, 1 / 2, 2 / 3, 1 / 2, 1 / 6),
            (615.0, 2980.0, 13140.0, 4.0))  # fmt: skip
# 集镇片区 = 黄水社区: K1, K3; I1, I3 (误报), I4 (duplicate), I5. Verify: I1 10, I5 10 → 600 s;
# dispatch (5 + 6)/2 = 5.5 min = 330 s; close K1 200 min = 12000 s.
STREET_A = row((2, 1, 1, 1, 1, 2, 1, 0, 4, 1), (1 / 2, 1 / 2, 1.0, 1 / 2, 0.0, 1 / 4),
               (600.0, 330.0, 12000.0, 4.0))  # fmt: skip
# 万胜坝片区: K2 (K4 voided); I2, I6. Verify (11 + 10)/2 = 10.5 min = 630 s; dispatch 138 min
# = 8280 s; close 238 min = 14280 s; not evaluated.
STREET_B = row((1, 1, 1, 1, 0, 1, 1, 1, 2, 0), (1.0, 1.0, 0.0, 1.0, 1.0, 0.0),
               (630.0, 8280.0, 14280.0, None))  # fmt: skip
# 龙河村 = its 第三网格 = hs-cam-09: K2; I2 (verify 11 min = 660 s).
LONGHE = row((1, 1, 1, 1, 0, 1, 1, 1, 1, 0), (1.0, 1.0, 0.0, 1.0, 1.0, 0.0),
             (660.0, 8280.0, 14280.0, None))  # fmt: skip
# 万胜坝村 = its 第一网格 = hs-cam-08: only the voided K4; I6 (verify 10 min): no case figures.
WANSHENGBA = row((0, 0, 0, 0, 0, 0, 0, 0, 1, 0), (None, None, None, None, None, 0.0),
                 (600.0, None, None, None))  # fmt: skip
# 黄水社区第一网格 = hs-cam-01: K1; I1, I4. 准确派遣 0/1 (returned), 按时处置 0/1.
HS_FIRST = row((1, 1, 1, 1, 1, 1, 0, 0, 2, 0), (1.0, 1.0, 1.0, 0.0, 0.0, 0.0),
               (600.0, 300.0, 12000.0, 4.0))  # fmt: skip
# 黄水社区第二网格 = hs-cam-10 (placed by its homography): K3, open; I5. Dispatch 6 min = 360 s.
HS_SECOND = row((1, 0, 0, 0, 0, 1, 1, 0, 1, 0), (0.0, 0.0, None, 1.0, None, 0.0),
                (600.0, 360.0, None, None))  # fmt: skip
# 黄水社区第三网格 = hs-cam-02: only I3, rejected: 误报率 1/1, nothing verified.
HS_THIRD = row((0, 0, 0, 0, 0, 0, 0, 0, 1, 1), (None, None, None, None, None, 1.0), NONE4)


def check_metrics(town: Town) -> None:
    _grid_levels(town)
    _departments_cameras_categories(town)
    _monthly_report_and_csv(town)


def _grid_levels(town: Town) -> None:
    assert town.metrics("total") == {"all": TOTAL}
    assert town.metrics("grid", level=0) == {"500240000000000": TOTAL}  # 黄水镇 as a whole
    streets = town.metrics("grid", level=1)
    assert streets == {A: STREET_A, B: STREET_B}  # the other three 片区 have no data
    communities = town.metrics("grid", level=2)
    assert communities == {HS: STREET_A, WSB: WANSHENGBA, LH: LONGHE}
    micro = town.metrics("grid", level=3)
    assert micro == {HS_1: HS_FIRST, HS_2: HS_SECOND, HS_3: HS_THIRD, WSB_1: WANSHENGBA,
                     LH_3: LONGHE}  # fmt: skip
    # Roll-up: each level's counts are the sums of the level below.
    assert roll_up([micro[HS_1], micro[HS_2], micro[HS_3]]) == _counts(communities[HS])
    assert roll_up([communities[WSB], communities[LH]]) == _counts(streets[B])
    assert roll_up([streets[A], streets[B]]) == _counts(town.metrics("total")["all"])


def _counts(figures: dict[str, Any]) -> dict[str, int]:
    return {name: figures[name] for name in COUNTS}


def _departments_cameras_categories(town: Town) -> None:
    # A department is the one a case was last with; incidents have none (误报率 undefined).
    assert town.metrics("department") == {
        # K1 (returned by 城管, so counted at 交巡警): handled late, reworked, closed on time.
        "jxj": row((1, 1, 1, 1, 1, 1, 0, 0, 0, 0), (1.0, 1.0, 1.0, 0.0, 0.0, None),
                   (None, 300.0, 12000.0, 4.0)),
        "cgzd": row((1, 1, 1, 1, 0, 1, 1, 1, 0, 0), (1.0, 1.0, 0.0, 1.0, 1.0, None),
                    (None, 8280.0, 14280.0, None)),
        "sthb": row((1, 0, 0, 0, 0, 1, 1, 0, 0, 0), (0.0, 0.0, None, 1.0, None, None),
                    (None, 360.0, None, None)),
        "pcs": row((0,) * 10, (None,) * 6, NONE4),  # only the voided K4
    }  # fmt: skip
    assert town.metrics("camera") == {
        "hs-cam-01": HS_FIRST,
        "hs-cam-02": HS_THIRD,
        "hs-cam-08": WANSHENGBA,
        "hs-cam-09": LONGHE,
        "hs-cam-10": HS_SECOND,
    }
    # 09009: K1, K2; I1, I2. Verify (10 + 11)/2 = 630 s; dispatch (5 + 138)/2 = 71.5 min =
    # 4290 s; close (200 + 238)/2 = 219 min = 13140 s. 90001: I3 误报, I6 verified (K4 voided)
    # → 1/2. 90002: only I4, a duplicate (reviewed, not 误报).
    by_category = {
        "06010": HS_SECOND,
        "09009": row((2, 2, 2, 2, 1, 2, 1, 1, 2, 0), (1.0, 1.0, 1 / 2, 1 / 2, 1 / 2, 0.0),
                     (630.0, 4290.0, 13140.0, 4.0)),
        "90001": row((0, 0, 0, 0, 0, 0, 0, 0, 2, 1), (None, None, None, None, None, 1 / 2),
                     (600.0, None, None, None)),
        "90002": row((0, 0, 0, 0, 0, 0, 0, 0, 1, 0), (None, None, None, None, None, 0.0),
                     NONE4),
    }  # fmt: skip
    assert town.metrics("category") == by_category
    rules = {"littering-1": "06010", "illegal_parking-1": "09009", "crowd-1": "90001",
             "road_blockage-1": "90002"}  # fmt: skip
    assert town.metrics("rule") == {rule: by_category[code] for rule, code in rules.items()}
    assert town.metrics("model") == {"yolox_nano@0.1.1": TOTAL}


def _monthly_report_and_csv(town: Town) -> None:
    report = town.get("/reports/monthly/2026-11")
    assert rates(report["total"]) == TOTAL
    assert {r["key"]: rates(r) for r in report["by_street"]} == {A: STREET_A, B: STREET_B}
    assert [r["key"] for r in report["by_community"]] == [HS, WSB, LH]
    assert [r["key"] for r in report["by_department"]] == ["cgzd", "jxj", "pcs", "sthb"]
    assert [r["key"] for r in report["by_camera"]] == [
        "hs-cam-01", "hs-cam-02", "hs-cam-08", "hs-cam-09", "hs-cam-10"
    ]  # fmt: skip
    assert {r["key"]: rates(r) for r in report["by_category"]} == town.metrics("category")
    # K1: yellow + red (handling); K2: yellow + red (dispatch). No case deadline was reached.
    assert report["supervisions"] == {"yellow": 2, "red": 2}

    text = town.csv(group_by="grid", level=1)
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [(line["group_by"], line["key"]) for line in lines] == [("grid", A), ("grid", B)]
    assert _parsed(lines[0]) == STREET_A
    assert _parsed(lines[1]) == STREET_B
    total = town.csv()
    assert total.splitlines()[1].startswith("total,all,3,2,2,2,1,3,2,1,6,1,0.666")
    assert _parsed(next(csv.DictReader(io.StringIO(total)))) == TOTAL


def _parsed(line: dict[str, str]) -> dict[str, Any]:
    """A CSV line's figures as the JSON has them: counts int, empty cells None."""
    values: dict[str, Any] = {}
    for name in FIGURES:
        cell = line[name]
        values[name] = None if cell == "" else int(cell) if name in COUNTS else float(cell)
    return values


def check_scoping(town: Town, incidents: tuple[int, ...], cases: tuple[int, ...]) -> None:
    """Each 片区's operator sees its own cases and incidents only; by id, the other's are 404.
    Handlers see their department's cases; metrics are computed within the caller's scope."""
    i1, i2, i3, i4, i5, i6 = incidents
    k1, k2, k3, k4 = cases
    seen = {
        user: {item["id"] for item in town.get("/cases", user)["items"]}
        for user in ("jz-op", "wsb-op", "jxj-01", "cgzd-01", "sthb-01", "pcs-01")
    }
    assert seen == {"jz-op": {k1, k3}, "wsb-op": {k2, k4}, "jxj-01": {k1}, "cgzd-01": {k2},
                    "sthb-01": {k3}, "pcs-01": {k4}}  # fmt: skip
    assert {i["id"] for i in town.get("/incidents", "jz-op")["items"]} == {i1, i3, i4, i5}
    assert {i["id"] for i in town.get("/incidents", "wsb-op")["items"]} == {i2, i6}
    for path in (f"/cases/{k2}", f"/cases/{k4}", f"/incidents/{i2}", f"/cases/{k2}/timeline"):
        assert town.status(path, "jz-op") == 404, path
    for path in (f"/cases/{k1}", f"/cases/{k3}", f"/incidents/{i1}", f"/incidents/{i5}"):
        assert town.status(path, "wsb-op") == 404, path
    supervised = {s["case_id"] for s in town.get("/supervisions", "jz-op")["items"]}
    assert supervised == {k1}
    # Street A's operator gets street A's figures as its total, and no other street.
    assert town.metrics("total", user="jz-op") == {"all": STREET_A}
    assert town.metrics("grid", level=1, user="wsb-op") == {B: STREET_B}
