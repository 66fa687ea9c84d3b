"""The decision to keep skipping non-reference frames, on made-up decoding patterns."""

from __future__ import annotations

from gridwatch_edge.sources.skip_guard import SkipGuard


def _feed(guard: SkipGuard, pattern: list[int], repeats: int) -> bool:
    still = True
    for _ in range(repeats):
        for pictures in pattern:
            still = guard.observe(pictures)
    return still


def test_ippp_keeps_skipping_as_nothing_is_lost() -> None:
    guard = SkipGuard(stream_fps=25, analysis_fps=5)
    assert _feed(guard, [1], 500)


def test_enough_pictures_left_keeps_skipping() -> None:
    # IBBP-like: 2 of 4 frames decoded = 12.5 fps for 2.08 analysed fps.
    guard = SkipGuard(stream_fps=25, analysis_fps=25 / 12)
    assert _feed(guard, [1, 0, 0, 1], 100)
    assert guard.skipping


def test_too_few_pictures_left_stops_skipping_for_good() -> None:
    # 1 of 4 decoded = 6.25 fps, below 1.5 x 5 analysed fps.
    guard = SkipGuard(stream_fps=25, analysis_fps=5)
    assert not _feed(guard, [1, 0, 0, 0], 20)
    assert guard.decoded_fps < 7.5  # about 6.25, judged over the first 50 frames
    assert not guard.observe(1)  # a later rich stretch does not turn it back on


def test_judged_only_after_a_full_window() -> None:
    guard = SkipGuard(stream_fps=25, analysis_fps=5)
    assert _feed(guard, [0], 49)  # 2 s at 25 fps = 50 frames: not judged yet
    assert not guard.observe(0)
