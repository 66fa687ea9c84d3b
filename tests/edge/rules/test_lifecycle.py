"""The lifecycle every rule shares: dwell, updates, time and count hysteresis, cooldown."""

from __future__ import annotations

from datetime import UTC, datetime

from gridwatch_contract.camera.rules import LifecycleConfig
from gridwatch_contract.messages import AlertState
from gridwatch_edge.rules import Lifecycle

AT = datetime(2024, 1, 1, tzinfo=UTC)
FRAME_S = 0.2


def _run(lifecycle: Lifecycle, pattern: str, start_s: float = 0.0) -> list[tuple[float, str]]:
    """Feed one frame per character: R raised, C cleared, '-' neither (between thresholds)."""
    steps = []
    for index, mark in enumerate(pattern):
        now = round(start_s + index * FRAME_S, 6)
        step = lifecycle.step(now, AT, raised=mark == "R", cleared=mark == "C")
        if step is not None:
            steps.append((now, step.state.value))
    return steps


def test_new_after_the_dwell_then_updates_then_end_after_the_hysteresis() -> None:
    config = LifecycleConfig(min_duration_s=1.0, update_interval_s=2.0, end_after_s=1.0)
    steps = _run(Lifecycle(config), "R" * 20 + "C" * 10)
    # Raised 0.0-3.8 s, cleared from 4.0 s: ends 1 s later.
    assert steps == [(1.0, "new"), (3.0, "update"), (5.0, "end")]


def test_a_short_drop_does_not_split_one_event() -> None:
    config = LifecycleConfig(min_duration_s=0.0, update_interval_s=100, end_after_s=1.0)
    steps = _run(Lifecycle(config), "RRRR" + "CCC" + "RRRR" + "C" * 6)
    assert [state for _, state in steps] == ["new", "end"]


def test_between_the_thresholds_an_event_neither_ends_nor_updates() -> None:
    config = LifecycleConfig(min_duration_s=0.0, update_interval_s=0.2, end_after_s=0.4)
    steps = _run(Lifecycle(config), "R" + "-" * 20 + "CCC")
    assert [state for _, state in steps] == ["new", "end"]


def test_a_condition_shorter_than_the_dwell_raises_nothing() -> None:
    config = LifecycleConfig(min_duration_s=1.0)
    assert _run(Lifecycle(config), "RRRRC" * 5) == []


def test_cooldown_suppresses_a_new_event_right_after_the_end() -> None:
    config = LifecycleConfig(min_duration_s=0.0, end_after_s=0.2, cooldown_s=3.0)
    lifecycle = Lifecycle(config)
    steps = _run(lifecycle, "RR" + "CC" + "RRRRR" + "C" * 5 + "R" * 10)
    states = [state for _, state in steps]
    assert states[:2] == ["new", "end"]
    ended_at = steps[1][0]
    later_new = [t for t, s in steps[2:] if s == "new"]
    assert later_new
    assert later_new[0] >= ended_at + 3.0 - 1e-6


def test_every_step_of_one_event_shares_its_id_and_counts_up() -> None:
    lifecycle = Lifecycle(LifecycleConfig(update_interval_s=0.4, end_after_s=0.2))
    events = []
    for index, mark in enumerate("RRRRRCC"):
        step = lifecycle.step(index * FRAME_S, AT, raised=mark == "R")
        if step is not None:
            events.append((step.event.event_id, step.event.sequence, step.state))
    assert len({event_id for event_id, _, _ in events}) == 1
    assert [sequence for _, sequence, _ in events] == list(range(len(events)))
    assert events[0][2] is AlertState.NEW
    assert events[-1][2] is AlertState.END
