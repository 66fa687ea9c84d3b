"""Rules on the real clip through the real detector and tracker, via ``replay``.

What the clip shows (checked frame by frame): a white van parked at the top right for the
whole 79.5 s; people walking along and across the road, crossing x = 0.5 of the frame at the
times listed below; nobody on the building wall at the top left or on the lower-left lawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gridwatch_contract import AlertMessage, AlertState, EventType
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.replay import alert_json_line, alert_summary, replay

PARKING_DWELL_S = 10.0
# The first three crossings of the line each way, as seen on the frames (bottom centre of the
# walker passing x = 0.5): left → right ("out") a man in a dark jacket at 2.8 s, a person in
# a dark coat at 10.6 s, a man in a dark jacket near the cones at 31.2 s; right → left ("in")
# the woman in light blue at 16.0 s, a man in a striped top at 18.0 s, a man in a dark
# jacket at 22.0 s. A crossing counts once the walker is min_distance (0.35 box heights)
# beyond the line for min_time_s (0.4 s): 0.4 s later for most, 1.6 s for the first man,
# who walks slowly along the line; the man at 10.6 s stops just past it (0.1 heights) and is
# counted at 15.4 s, when he walks on.
FIRST_OUT_S = [4.4, 15.4, 31.6]
FIRST_IN_S = [16.4, 18.6, 22.6]
# The line x = 0.5, drawn top → bottom: its right-hand side (``in``) is the screen's left.
CROSSING_LINE = [[0.5, 0.2], [0.5, 0.9]]
EMPTY = [[0.0, 0.0], [0.3, 0.0], [0.3, 0.08], [0.0, 0.08]]  # the building wall
LAWN = [[0.15, 0.6], [0.45, 0.6], [0.45, 0.9], [0.15, 0.9]]  # lower-left grass


def _config(clip: Path) -> dict[str, Any]:
    # Each crossing its own event: counted only within 0.1 s (less than a frame interval).
    per_crossing = {"type": "line_crossing", "line": CROSSING_LINE, "window_s": 0.1}
    per_crossing["end_after_s"] = 0.1
    return {
        "edge_id": "replay-test",
        "cameras": [
            {
                "id": "campus",
                "url": str(clip),
                "analysis_fps": 5,
                "zones": [
                    # Around the parked van only (not the car at the right edge).
                    {
                        "id": "no-parking",
                        "polygon": [[0.82, 0.1], [0.95, 0.1], [0.95, 0.22], [0.82, 0.22]],
                    },
                    {"id": "wall", "polygon": EMPTY},
                    {"id": "lawn", "polygon": LAWN},
                ],
                "rules": [
                    {
                        "type": "illegal_parking",
                        "id": "van",
                        "zone": "no-parking",
                        "dwell_s": PARKING_DWELL_S,
                    },
                    {**per_crossing, "id": "walk-in", "direction": "in"},
                    {**per_crossing, "id": "walk-out", "direction": "out"},
                    {
                        "type": "line_crossing",
                        "id": "counter",
                        "line": CROSSING_LINE,
                        "update_interval_s": 5,
                    },
                    {
                        "type": "road_blockage",
                        "id": "wall-blockage",
                        "zone": "wall",
                        "dwell_s": 5,
                        "large_object_min_area": 0.01,
                    },
                    {"type": "illegal_parking", "id": "wall-parking", "zone": "wall", "dwell_s": 5},
                    {
                        "type": "crowd",
                        "id": "wall-crowd",
                        "zone": "wall",
                        "min_persons": 1,
                        "min_duration_s": 1,
                    },
                    {"type": "left_object", "id": "wall-left", "zone": "wall", "dwell_s": 10},
                    {"type": "left_object", "id": "lawn-left", "zone": "lawn", "dwell_s": 10},
                ],
            }
        ],
    }


@pytest.fixture(scope="module")
def alerts(yolox: Detector, vtest_clip: Path) -> list[AlertMessage]:
    return replay(parse_edge_config(_config(vtest_clip)), yolox)


def _of(
    alerts: list[AlertMessage], rule_id: str, state: AlertState | None = None
) -> list[AlertMessage]:
    return [a for a in alerts if a.rule_id == rule_id and (state is None or a.state is state)]


def test_the_parked_van_raises_one_illegal_parking_event_after_the_dwell(
    alerts: list[AlertMessage],
) -> None:
    van = _of(alerts, "van")
    assert van, "no illegal-parking alert for the van"
    assert len({a.event_id for a in van}) == 1
    first = van[0]
    assert first.state is AlertState.NEW
    assert first.event_type is EventType.ILLEGAL_PARKING
    # Parked from the first frame: reported once it has stood still for the dwell, not before.
    assert first.media_time_s == pytest.approx(PARKING_DWELL_S, abs=0.5)
    assert {o.class_name for o in first.objects} <= {"car", "truck", "bus"}
    assert all(o.track_id is not None for o in first.objects)
    assert first.measurements["stationary_s"] >= PARKING_DWELL_S - 1e-6
    assert not _of(alerts, "van", AlertState.END)  # the van never leaves


def test_walkers_are_counted_in_the_direction_they_cross(alerts: list[AlertMessage]) -> None:
    outgoing = [a.media_time_s or 0.0 for a in _of(alerts, "walk-out", AlertState.NEW)]
    incoming = [a.media_time_s or 0.0 for a in _of(alerts, "walk-in", AlertState.NEW)]
    # The first three crossings each way, checked on the frames: the first crossing of the
    # clip is at 2.8 s (counted at 4.4 s), so nothing is counted before it in either direction.
    assert outgoing[:3] == pytest.approx(FIRST_OUT_S, abs=0.6)
    assert incoming[:3] == pytest.approx(FIRST_IN_S, abs=0.6)
    for t in FIRST_OUT_S:  # nobody at the line walks the other way at those moments
        assert not any(abs(t - other) < 0.6 for other in incoming)
    for t in FIRST_IN_S:
        assert not any(abs(t - other) < 0.6 for other in outgoing)
    first_walkers = [a.objects[0].track_id for a in _of(alerts, "walk-out", AlertState.NEW)[:3]]
    first_walkers += [a.objects[0].track_id for a in _of(alerts, "walk-in", AlertState.NEW)[:3]]
    assert len(set(first_walkers)) == 6  # six different people, not one track flickering
    for alert in _of(alerts, "walk-in", AlertState.NEW):
        assert alert.objects
        assert all(o.class_name == "person" for o in alert.objects)
        assert all((o.box.x1 + o.box.x2) / 2 < 0.5 * 767 for o in alert.objects)  # now left
    for alert in _of(alerts, "walk-out", AlertState.NEW):
        assert all((o.box.x1 + o.box.x2) / 2 > 0.5 * 767 for o in alert.objects)  # now right


def test_counter_alerts_carry_running_counts_per_class(alerts: list[AlertMessage]) -> None:
    counter = _of(alerts, "counter")
    last = counter[-1].measurements
    crossings_in = len(_of(alerts, "walk-in", AlertState.NEW))
    crossings_out = len(_of(alerts, "walk-out", AlertState.NEW))
    assert last["in_person"] == last["in_total"] <= crossings_in
    assert last["out_person"] == last["out_total"] <= crossings_out
    assert last["in_total"] >= 5
    assert last["out_total"] >= 5
    totals = [a.measurements["in_total"] + a.measurements["out_total"] for a in counter]
    assert totals == sorted(totals)


def test_zones_where_nothing_happens_raise_nothing(alerts: list[AlertMessage]) -> None:
    quiet = {"wall-blockage", "wall-parking", "wall-crowd", "wall-left", "lawn-left"}
    assert [a.rule_id for a in alerts if a.rule_id in quiet] == []


def test_each_alert_prints_as_one_json_line(alerts: list[AlertMessage]) -> None:
    summary = alert_summary(alerts[0])
    assert set(summary) >= {"type", "camera", "zone", "rule", "state", "media_time_s"}
    assert set(summary) >= {"confidence", "objects"}
    assert "\n" not in alert_json_line(alerts[0])
