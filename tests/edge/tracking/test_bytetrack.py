"""The ByteTrack-style tracker on boxes whose motion we know."""

from __future__ import annotations

import numpy as np

from gridwatch_edge.config import TrackerConfig
from gridwatch_edge.detections import UNTRACKED, Detections
from gridwatch_edge.tracking import ByteTracker

PERSON, CAR = 0, 2
FRAME_S = 0.2  # 5 analysed frames per second, as the edge runs by default


def _box(x: float, y: float, width: float = 30, height: float = 80) -> list[float]:
    return [x, y, x + width, y + height]


def _frame(tracker: ByteTracker, index: int, *boxes: tuple[list[float], float, int]) -> Detections:
    detections = Detections.create(
        [b for b, _, _ in boxes] or np.zeros((0, 4)),
        [s for _, s, _ in boxes],
        [c for _, _, c in boxes],
    )
    return tracker.update(detections, index * FRAME_S)


def test_an_id_is_given_after_min_hits_and_stays_while_the_object_walks() -> None:
    tracker = ByteTracker(TrackerConfig(min_hits=3))
    ids = [
        int(_frame(tracker, i, (_box(100 + 12 * i, 200), 0.9, PERSON)).tracker_id[0])
        for i in range(20)
    ]
    assert ids[:2] == [UNTRACKED, UNTRACKED]
    assert ids[2] != UNTRACKED
    assert set(ids[2:]) == {ids[2]}


def test_two_walkers_crossing_each_other_keep_their_ids() -> None:
    tracker = ByteTracker(TrackerConfig())
    seen: dict[str, set[int]] = {"east": set(), "west": set()}
    for i in range(30):
        east = _box(100 + 10 * i, 200)  # walks right
        west = _box(390 - 10 * i, 210)  # walks left, overlapping at i ≈ 14
        result = _frame(tracker, i, (east, 0.9, PERSON), (west, 0.85, PERSON))
        if i >= 2:
            seen["east"].add(int(result.tracker_id[0]))
            seen["west"].add(int(result.tracker_id[1]))
    assert len(seen["east"]) == 1
    assert len(seen["west"]) == 1
    assert seen["east"] != seen["west"]


def test_a_track_lost_for_a_few_frames_is_recovered_with_its_id() -> None:
    tracker = ByteTracker(TrackerConfig(max_misses=15))
    for i in range(5):
        first = _frame(tracker, i, (_box(100 + 10 * i, 200), 0.9, PERSON))
    for i in range(5, 10):  # hidden behind a lamp post
        assert len(_frame(tracker, i)) == 0
    again = _frame(tracker, 10, (_box(200, 200), 0.9, PERSON))
    assert int(again.tracker_id[0]) == int(first.tracker_id[0])


def test_a_track_lost_too_long_is_forgotten() -> None:
    tracker = ByteTracker(TrackerConfig(max_misses=3))
    for i in range(5):
        first = _frame(tracker, i, (_box(100, 200), 0.9, PERSON))
    for i in range(5, 10):
        _frame(tracker, i)
    assert tracker.get(int(first.tracker_id[0])) is None
    for i in range(10, 13):
        again = _frame(tracker, i, (_box(100, 200), 0.9, PERSON))
    assert int(again.tracker_id[0]) not in (UNTRACKED, int(first.tracker_id[0]))


def test_low_score_detections_extend_tracks_but_do_not_start_them() -> None:
    tracker = ByteTracker(TrackerConfig(high_score=0.5))
    for i in range(4):
        tracked = _frame(tracker, i, (_box(100 + 5 * i, 200), 0.9, PERSON))
    blurred = _frame(tracker, 4, (_box(120, 200), 0.35, PERSON))
    assert int(blurred.tracker_id[0]) == int(tracked.tracker_id[0])
    newcomer = [_frame(tracker, 5 + i, (_box(500, 100), 0.35, PERSON)) for i in range(4)]
    assert all(int(r.tracker_id[0]) == UNTRACKED for r in newcomer)


def test_association_is_per_class() -> None:
    tracker = ByteTracker(TrackerConfig(min_hits=1))
    person = _frame(tracker, 0, (_box(100, 200), 0.9, PERSON))
    car = _frame(tracker, 1, (_box(100, 200), 0.9, CAR))
    assert int(car.tracker_id[0]) != int(person.tracker_id[0])


def test_every_detection_comes_back_in_order() -> None:
    tracker = ByteTracker(TrackerConfig())
    boxes = [(_box(10, 10), 0.9, PERSON), (_box(300, 10), 0.4, CAR), (_box(600, 10), 0.8, CAR)]
    result = _frame(tracker, 0, *boxes)
    assert result.xyxy.tolist() == [b for b, _, _ in boxes]
    assert result.class_id.tolist() == [PERSON, CAR, CAR]


def test_stationary_time_counts_while_the_object_stands_still() -> None:
    tracker = ByteTracker(TrackerConfig(stationary_fraction=0.2))
    rng = np.random.default_rng(0)
    for i in range(50):  # 10 s with detector jitter of ±2 px on an 80 px tall person
        x, y = rng.uniform(-2, 2, size=2)
        result = _frame(tracker, i, (_box(100 + x, 200 + y), 0.9, PERSON))
    track = tracker.get(int(result.tracker_id[0]))
    assert track is not None
    assert 9.7 <= track.stationary_for_s(49 * FRAME_S) <= 9.9
    for i in range(50, 55):  # walks off at 1 m/s ≈ 40 px/s
        result = _frame(tracker, i, (_box(100 + 8 * (i - 49), 200), 0.9, PERSON))
    assert track.stationary_for_s(54 * FRAME_S) < 1.0
