"""Reading the real clip from a file: analysis rate, media time, end of file, bad files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gridwatch_edge.errors import SourceError
from gridwatch_edge.sources import VideoSource

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


def test_undecodable_file_is_a_source_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(b"\x00not a video\xff" * 1000)
    source = VideoSource(str(garbage), analysis_fps=5, realtime=False)
    with pytest.raises(SourceError, match=r"garbage\.avi"):
        _open_and_read(source)


def _open_and_read(source: VideoSource) -> None:
    source.open()
    source.read()
