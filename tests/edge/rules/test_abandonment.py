"""Left objects: who brought each one, identity through occlusion, and when it counts as left.

The ledger is fed what the rule feeds it each analysed frame (5 fps): the still candidates'
boxes and the person tracks. A bag 40 px tall stands at x 200-220; people are 100 px tall.
"""

from __future__ import annotations

import numpy as np

from gridwatch_contract.camera.rules import LeftObjectRuleConfig
from gridwatch_edge.rules.abandonment import Ledger
from gridwatch_edge.tracking import Track

FRAME_S = 0.2
BAG = np.array([[200, 260, 220, 300]], dtype=np.float32)
NOTHING = np.zeros((0, 4), dtype=np.float32)
CONFIG = LeftObjectRuleConfig(type="left_object", id="left", zone="z", dwell_s=10.0)


class Walker:
    """A person track whose feet are at ``x(t)``, on the bag's ground line."""

    def __init__(self, track_id: int, x_at: dict[float, float]) -> None:
        self._x_at = x_at
        self.track: Track | None = None
        self.track_id = track_id

    def at(self, now_s: float) -> Track | None:
        x = self._x_at.get(round(now_s, 1))
        if x is None:
            return None  # not in the picture (lost by the tracker)
        box = np.array([x - 20, 200, x + 20, 300], dtype=np.float32)
        if self.track is None:
            self.track = Track(box, 0, 0.9, now_s, history_s=30.0, stationary_fraction=0.2)
            self.track.track_id = self.track_id
        else:
            self.track.hit(box, 0.9, now_s)
        return self.track


def _times(start_s: float, end_s: float) -> list[float]:
    return [round(start_s + i * FRAME_S, 1) for i in range(round((end_s - start_s) / FRAME_S))]


def _run(
    walkers: list[Walker], bag_seen: dict[float, bool], until_s: float, appears_s: float
) -> list[tuple[float, list[int]]]:
    """Per frame: the keys of the objects reported as left."""
    ledger = Ledger(CONFIG)
    reports = []
    for now in _times(0.0, until_s):
        persons = [t for w in walkers if (t := w.at(now)) is not None]
        boxes = BAG if bag_seen.get(now, False) else NOTHING
        ledger.observe(boxes, [appears_s] * len(boxes), now, persons)
        reports.append((now, [o.key for o in ledger.update(now, persons)]))
    return reports


def _first_left(reports: list[tuple[float, list[int]]]) -> float | None:
    return next((now for now, left in reports if left), None)


def test_owner_who_stays_keeps_it_attended_and_leaving_starts_the_dwell() -> None:
    # The owner puts the bag down at 2 s, stands by it until 8 s, then walks off.
    owner = Walker(1, {t: 230.0 if t < 8.0 else 230.0 + 80 * (t - 8.0) for t in _times(0, 12)})
    seen = {t: t >= 2.0 for t in _times(0, 30)}
    assert _first_left(_run([owner], seen, 30.0, appears_s=2.0)) == 8.0 + 8 * FRAME_S + 10.0


def test_passers_by_neither_own_it_nor_reset_its_dwell() -> None:
    # Nobody came with it (it appeared at 2 s); a walker every 3 s steps right past it, and
    # two of them stand next to it for a second.
    seen = {t: t >= 2.0 for t in _times(0, 20)}
    passers = [
        Walker(10 + k, {t: 150.0 + 60 * (t - 3.0 * k) for t in _times(3.0 * k, 3.0 * k + 3.0)})
        for k in range(1, 6)
    ]
    stander = Walker(20, dict.fromkeys(_times(5.0, 6.2), 225.0))
    assert _first_left(_run([*passers, stander], seen, 20.0, appears_s=2.0)) == 12.0


def test_a_few_seconds_hidden_keep_its_identity_and_dwell() -> None:
    # Hidden by a group from 6 s to 10 s (4 s, below occlusion_s = 5 s).
    seen = {t: t >= 2.0 and not 6.0 <= t < 10.0 for t in _times(0, 20)}
    reports = _run([], seen, 20.0, appears_s=2.0)
    assert _first_left(reports) == 12.0
    keys = {key for _, left in reports for key in left}
    assert len(keys) == 1


def test_gone_for_longer_than_occlusion_s_it_has_been_taken() -> None:
    seen = {t: 2.0 <= t < 14.0 for t in _times(0, 25)}
    reports = _run([], seen, 25.0, appears_s=2.0)
    left_at = [now for now, left in reports if left]
    assert left_at[0] == 12.0
    # Last seen at 13.8 s: still reported while it may only be hidden, forgotten after 5 s.
    assert left_at[-1] == 18.8


def test_pieces_of_one_object_become_one_object() -> None:
    ledger = Ledger(CONFIG)
    halves = np.array([[200, 260, 208, 300], [212, 260, 220, 300]], dtype=np.float32)
    first = ledger.observe(halves, [0.0, 0.0], 0.0, [])
    assert len(set(first)) == 2  # seen apart first: a walker's leg cut it in two
    whole = ledger.observe(BAG, [0.2], 0.2, [])
    assert len(ledger.objects) == 1
    assert whole[0] == min(first)  # the older identity (and dwell) survives
