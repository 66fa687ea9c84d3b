"""Zone inertia: an object counts as in (or out) only after K frames on that side."""

from __future__ import annotations

from gridwatch_edge.config import ZoneConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.zones import Zone, ZoneMembership

WIDTH, HEIGHT = 100, 100
LEFT_HALF = ZoneConfig(id="left", polygon=[(0, 0), (0.5, 0), (0.5, 1), (0, 1)])


def _at(x: float, track_id: int = 7) -> Detections:
    """One person whose feet are at (x, 50)."""
    return Detections.create([[x - 5, 30, x + 5, 50]], [0.9], [0], [track_id])


def _inside(membership: ZoneMembership, x: float, track_id: int = 7) -> bool:
    return len(membership.update(_at(x, track_id), WIDTH, HEIGHT)) == 1


def test_an_object_enters_after_three_frames_and_leaves_after_three() -> None:
    membership = ZoneMembership(Zone(LEFT_HALF), None, inertia=3)
    assert [_inside(membership, 20) for _ in range(4)] == [False, False, True, True]
    assert [_inside(membership, 80) for _ in range(4)] == [True, True, False, False]


def test_jitter_on_the_edge_does_not_flip_membership() -> None:
    membership = ZoneMembership(Zone(LEFT_HALF), None, inertia=3)
    for _ in range(3):
        _inside(membership, 20)
    flicker = [_inside(membership, x) for x in (52, 48, 53, 47, 52, 49)]
    assert flicker == [True] * 6


def test_untracked_detections_are_judged_on_the_frame_alone() -> None:
    membership = ZoneMembership(Zone(LEFT_HALF), None, inertia=3)
    assert _inside(membership, 20, track_id=-1)
    assert not _inside(membership, 80, track_id=-1)


def test_class_filter() -> None:
    membership = ZoneMembership(Zone(LEFT_HALF), [2], inertia=1)
    assert not _inside(membership, 20)  # a person, but the zone watches cars only
