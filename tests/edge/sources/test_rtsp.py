"""A real RTSP camera on loopback: GStreamer's RTSP server streaming the H.264 clip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridwatch_edge.sources import VideoSource
from tests.edge.sources.rtsp_server import RtspServer


@pytest.fixture
def rtsp_url(samples_dir: Path) -> Iterator[str]:
    server = RtspServer(samples_dir / "vtest_h264.mp4")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.mark.rtsp
def test_reads_frames_from_a_real_rtsp_camera(rtsp_url: str) -> None:
    source = VideoSource(rtsp_url, analysis_fps=5)
    assert source.live
    source.open()
    try:
        frames = [source.read() for _ in range(10)]
    finally:
        source.close()
    assert all(frame is not None for frame in frames)
    assert {(f.width, f.height) for f in frames if f is not None} == {(768, 576)}
    times = [f.media_time_s for f in frames if f is not None]
    assert times == sorted(times)
    assert not source.finished
