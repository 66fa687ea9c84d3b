"""Road blockage on the real clip through the real detector and tracker, via ``replay``.

What the clip shows (checked on the frames): at the top right a white van (pixels about
651-724 x 42-99) and, touching the right edge, a light car (about 731-767 x 51-94) stand
parked for the whole 79.5 s; nothing else stops there. YOLOX-Nano sees the car in every
analysed frame and the van as both ``truck`` and ``car`` (two tracks on one vehicle), which
the "≥ K stopped vehicles" count must not take for two vehicles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gridwatch_contract import AlertMessage, AlertState, EventType
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.replay import replay

DWELL_S = 10.0
STOPPED_AFTER_S = 5.0
# Longer than the clip: a rule with it can only fire through the "≥ K stopped" path.
NEVER_S = 1000.0
# The lane in front of the building where the van stands (its bottom centre is at 0.90, 0.17).
VAN_LANE = [[0.78, 0.1], [0.95, 0.1], [0.95, 0.25], [0.78, 0.25]]
# The same lane to the right edge, taking in the parked car too (bottom centre 0.98, 0.16).
VAN_AND_CAR = [[0.78, 0.1], [1.0, 0.1], [1.0, 0.25], [0.78, 0.25]]


def _config(clip: Path) -> dict[str, Any]:
    stopped = {"type": "road_blockage", "dwell_s": NEVER_S, "stopped_after_s": STOPPED_AFTER_S}
    return {
        "edge_id": "blockage-test",
        "cameras": [
            {
                "id": "campus",
                "url": str(clip),
                "analysis_fps": 5,
                "zones": [
                    {"id": "van-lane", "polygon": VAN_LANE},
                    {"id": "van-and-car", "polygon": VAN_AND_CAR},
                ],
                "rules": [
                    {"type": "road_blockage", "id": "van", "zone": "van-lane", "dwell_s": DWELL_S},
                    {
                        **stopped,
                        "id": "two-stopped",
                        "zone": "van-and-car",
                        "min_stopped_vehicles": 2,
                    },
                    {
                        **stopped,
                        "id": "three-stopped",
                        "zone": "van-and-car",
                        "min_stopped_vehicles": 3,
                    },
                    {**stopped, "id": "van-twice", "zone": "van-lane", "min_stopped_vehicles": 2},
                ],
            }
        ],
    }


@pytest.fixture(scope="module")
def alerts(yolox: Detector, vtest_clip: Path) -> list[AlertMessage]:
    return replay(parse_edge_config(_config(vtest_clip)), yolox)


def _of(alerts: list[AlertMessage], rule_id: str) -> list[AlertMessage]:
    return [a for a in alerts if a.rule_id == rule_id]


def test_the_parked_van_blocks_its_lane_once_after_the_dwell(alerts: list[AlertMessage]) -> None:
    van = _of(alerts, "van")
    assert van, "no road-blockage alert for the van"
    assert len({a.event_id for a in van}) == 1
    first = van[0]
    assert first.state is AlertState.NEW
    assert first.event_type is EventType.ROAD_BLOCKAGE
    # Parked from the first frame: raised once it has stood still for the dwell, not before
    # (measured: 10.0 s).
    assert first.media_time_s == pytest.approx(DWELL_S, abs=0.5)
    assert first.measurements["stationary_s"] >= DWELL_S - 1e-6
    assert {o.class_name for o in first.objects} <= {"car", "truck"}
    assert all(o.box.x1 > 640 and o.box.x2 < 730 for o in first.objects)  # the van, not the car
    assert first.measurements["stopped_vehicles"] == 1  # one van, though seen as two classes
    assert [a for a in van if a.state is AlertState.END] == []  # the van never leaves


def test_two_stopped_vehicles_at_once_raise_one_blockage(alerts: list[AlertMessage]) -> None:
    both = _of(alerts, "two-stopped")
    assert both, "the van and the car were not seen stopped together"
    assert len({a.event_id for a in both}) == 1
    first = both[0]
    assert first.state is AlertState.NEW
    # Both stand still from the first frame: stopped once still for stopped_after_s
    # (measured: 5.0 s), long before the dwell path could fire.
    assert first.media_time_s == pytest.approx(STOPPED_AFTER_S, abs=0.5)
    assert first.measurements["stopped_vehicles"] == 2
    assert any(o.box.x1 > 725 for o in first.objects)  # the car at the right edge
    assert any(o.box.x2 < 730 for o in first.objects)  # the van
    assert [a for a in both if a.state is AlertState.END] == []


def test_a_van_seen_as_two_classes_is_one_stopped_vehicle(alerts: list[AlertMessage]) -> None:
    # Two vehicles stand in the wider zone, never three; one in the van's lane, never two.
    assert _of(alerts, "three-stopped") == []
    assert _of(alerts, "van-twice") == []
