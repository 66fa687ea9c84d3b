"""Line crossing with hysteresis: turning back counts nothing, nor does an id switch where two
people meet on the line; the counts still held at the end of a stream are reported.

Frames at 5 fps, 400x300, the line x = 200 drawn top → bottom (its ``in`` side is the screen's
left), people 100 px tall walking at 20 px per frame.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from gridwatch_contract.camera.rules import LineCrossingRuleConfig
from gridwatch_contract.messages import AlertState
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.rules import LineCrossingRule
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.tracking import Track

FRAME_S = 0.2
PICTURE = ArrayPicture(np.zeros((300, 400, 3), np.uint8))
AT = datetime(2024, 1, 1, tzinfo=UTC)


class Tracks:
    """The tracker's answer for the ids a test uses: every id it has seen is a live track."""

    def __init__(self) -> None:
        self._tracks: dict[int, Track] = {}

    def see(self, track_id: int, box: np.ndarray) -> None:
        if track_id not in self._tracks:
            track = Track(box, 0, 0.9, 0.0, history_s=30.0, stationary_fraction=0.2)
            track.track_id = track_id
            self._tracks[track_id] = track

    def get(self, tracker_id: int) -> Track | None:
        return self._tracks.get(tracker_id)

    @property
    def active(self) -> list[Track]:
        return list(self._tracks.values())


def _rule(**settings: object) -> tuple[LineCrossingRule, Tracks]:
    config = LineCrossingRuleConfig.model_validate(
        {
            "type": "line_crossing",
            "id": "line",
            "line": [[200, 0], [200, 299]],
            "units": "px",
            "window_s": 0.1,
            "end_after_s": 0.1,
            **settings,
        }
    )
    tracks = Tracks()
    return LineCrossingRule(config, None, ["person"], tracks), tracks


def _frame(index: int) -> Frame:
    return Frame(PICTURE, index, round(index * FRAME_S, 6), AT, live=False)


def _run(
    rule: LineCrossingRule, tracks: Tracks, paths: dict[int, list[float | None]]
) -> list[Event]:
    """Feed each track's foot x per frame (None: not seen); return every event."""
    events = []
    frames = max(len(xs) for xs in paths.values())
    for index in range(frames):
        rows = [
            (tid, x)
            for tid, xs in paths.items()
            if index < len(xs) and (x := xs[index]) is not None
        ]
        boxes = np.array([[x - 20, 150, x + 20, 250] for _, x in rows], np.float32).reshape(-1, 4)
        for (tid, _), box in zip(rows, boxes, strict=True):
            tracks.see(tid, box)
        detections = Detections.create(
            boxes, [0.9] * len(rows), [0] * len(rows), [tid for tid, _ in rows]
        )
        events += rule.update(_frame(index), detections)
    return events


def _walk(start: float, step: float, frames: int) -> list[float | None]:
    return [start + step * i for i in range(frames)]


def _new(events: list[Event]) -> list[Event]:
    return [e for e in events if e.state is AlertState.NEW]


def test_a_walker_across_counts_once_min_distance_beyond_the_line() -> None:
    rule, tracks = _rule()
    events = _run(rule, tracks, {1: _walk(100, 20, 12)})  # 100 → 320 px, left → right
    (new,) = _new(events)
    assert rule.counts == {"out_person": 1}
    # On the line at frame 5 (x 200), across the dead band at frame 6 (x 220), 0.35 heights
    # beyond at frame 7 (x 240), and min_time_s (0.4 s) after frame 6 at frame 8.
    assert new.media_time_s == 8 * FRAME_S


def test_turning_back_inside_the_band_counts_nothing() -> None:
    rule, tracks = _rule()
    there_and_back = [*_walk(140, 20, 5), 225.0, 220.0, 200.0, *_walk(180, -20, 5)]
    events = _run(rule, tracks, {1: there_and_back})
    assert _new(events) == []
    assert rule.counts == {}


def test_two_people_meeting_on_the_line_and_swapping_ids_count_nothing() -> None:
    # A comes from the left, B from the right; they meet at the line and both turn back, but
    # the tracker swaps their ids as they part: each id walks off on the far side.
    rule, tracks = _rule()
    a_before, b_before = _walk(120, 20, 4), _walk(280, -20, 4)  # up to 180 / 220
    a_after, b_after = _walk(180, -20, 6), _walk(220, 20, 6)  # back where they came from
    events = _run(rule, tracks, {1: [*a_before, *b_after], 2: [*b_before, *a_after]})
    assert _new(events) == []
    assert rule.counts == {}


def test_counts_since_the_last_alert_are_reported_when_the_stream_ends() -> None:
    # One event with updates every 60 s: the crossing at 1.4 s opens it, a second crossing
    # happens later, and the file ends before any update carries it.
    rule, tracks = _rule(window_s=60.0, update_interval_s=60.0, end_after_s=60.0)
    later: list[float | None] = [None] * 12
    events = _run(rule, tracks, {1: _walk(100, 20, 12), 2: later + _walk(300, -20, 12)})
    assert [e.state for e in events] == [AlertState.NEW]
    (end,) = rule.finish(_frame(24))
    assert end.state is AlertState.END
    assert end.event_id == events[0].event_id
    assert end.measurements["in_total"] == 1
    assert end.measurements["out_total"] == 1
    assert rule.finish(_frame(25)) == []  # nothing left to say


def test_with_no_event_open_the_final_counts_come_as_a_new_and_an_end() -> None:
    rule, tracks = _rule(direction="in", min_crossings=2)  # one crossing never raises
    _run(rule, tracks, {1: _walk(300, -20, 12)})
    opened, ended = rule.finish(_frame(12))
    assert (opened.state, ended.state) == (AlertState.NEW, AlertState.END)
    assert opened.event_id == ended.event_id
    assert (opened.sequence, ended.sequence) == (0, 1)
    assert ended.measurements["in_person"] == 1
