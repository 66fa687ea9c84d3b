"""The live feed's cursor: late commits below the highest id seen are delivered once."""

from __future__ import annotations

from gridwatch_central.db.incident_repository import IncidentChange
from gridwatch_central.services.incident_feed import GAP_WAIT_S, FeedCursor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def change(seq: int) -> IncidentChange:
    return IncidentChange(seq=seq, incident_id=seq, action="opened", grid_codes=(None, None, None))


def test_an_id_committed_late_is_delivered_once_and_nothing_twice() -> None:
    clock = Clock()
    cursor = FeedCursor(10, clock)
    # 12 committed before 11: 11 is a gap the next reads start below.
    assert [c.seq for c in cursor.accept([change(12)])] == [12]
    assert cursor.low == 10
    # The re-read returns 12 again (dropped) and the late 11 (delivered).
    assert [c.seq for c in cursor.accept([change(11), change(12), change(13)])] == [11, 13]
    assert cursor.low == 13


def test_a_gap_that_never_fills_is_given_up_after_the_wait() -> None:
    clock = Clock()
    cursor = FeedCursor(0, clock)
    cursor.accept([change(2)])  # 1 rolled back: it will never appear
    assert cursor.low == 0
    clock.now = GAP_WAIT_S + 1
    assert cursor.accept([change(2)]) == []
    assert cursor.low == 2
