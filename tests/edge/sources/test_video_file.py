"""Reading the real clip from a file: analysis rate, media time, end of file, bad files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gridwatch_edge.errors import SourceError
from gridwatch_edge.sources import VideoSource
from gridwatch_edge.sources.video import analysis_phase_s

CLIP_FRAMES = 795  # vtest.avi: 10 fps, 79.5 s


def test_analyses_at_the_configured_rate_until_the_end(vtest_clip: Path) -> None:
    source = VideoSource(str(vtest_clip), analysis_fps=5, realtime=False)
    source.open()
    frames = []
    while (frame := source.read()) is not None:
        frames.append((frame.index, frame.media_time_s))
    assert source.finished
    assert source.frames_read == CLIP_FRAMES
    assert len(frames) == 398  # every second frame of 795
    assert frames[:3] == [(0, 0.0), (2, 0.2), (4, 0.4)]


def test_frames_carry_image_and_aware_time(vtest_clip: Path) -> None:
    source = VideoSource(str(vtest_clip), analysis_fps=5, realtime=False)
    source.open()
    frame = source.read()
    assert frame is not None
    assert (frame.width, frame.height) == (768, 576)
    assert frame.captured_at.tzinfo is not None
    assert not frame.live


def test_realtime_paces_at_the_clip_rate(vtest_clip: Path) -> None:
    source = VideoSource(str(vtest_clip), analysis_fps=10, realtime=True)
    source.open()
    started = time.monotonic()
    for _ in range(6):
        assert source.read() is not None
    assert time.monotonic() - started >= 0.45  # frames 0..5 at 10 fps span 0.5 s


def test_a_paced_source_takes_its_frames_at_its_phase(vtest_clip: Path) -> None:
    # 10 fps clip analysed at 2 fps: one frame in five, starting 0.25 s into each period.
    source = VideoSource(str(vtest_clip), analysis_fps=2, realtime=True, analysis_phase_s=0.25)
    source.open()
    times = []
    for _ in range(2):
        frame = source.read()
        assert frame is not None
        times.append(frame.media_time_s)
    assert times == pytest.approx([0.3, 0.8])


def test_a_replay_ignores_the_phase(vtest_clip: Path) -> None:
    source = VideoSource(str(vtest_clip), analysis_fps=2, realtime=False, analysis_phase_s=0.25)
    source.open()
    frame = source.read()
    assert frame is not None
    assert frame.media_time_s == 0.0


def test_phases_spread_cameras_over_the_period() -> None:
    phases = [analysis_phase_s(f"cam{i}", 2.0) for i in range(40)]
    assert all(0.0 <= phase < 0.5 for phase in phases)
    assert analysis_phase_s("cam7", 2.0) == phases[7]  # stable for a camera
    # Every tenth of the period holds some camera's instants: not one burst.
    assert len({int(phase / 0.05) for phase in phases}) == 10


def test_a_phase_beyond_the_period_is_refused(vtest_clip: Path) -> None:
    with pytest.raises(ValueError, match="outside one period"):
        VideoSource(str(vtest_clip), analysis_fps=2, analysis_phase_s=0.5)


def test_undecodable_file_is_a_source_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"\x00not a video\xff" * 1000)
    source = VideoSource(str(garbage), analysis_fps=5, realtime=False)
    with pytest.raises(SourceError, match=r"garbage\.avi"):
        _open_and_read(source)


def _open_and_read(source: VideoSource) -> None:
    source.open()
    source.read()
