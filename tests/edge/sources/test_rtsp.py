"""A real RTSP camera on loopback: GStreamer's RTSP server streaming the H.264 clip."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridwatch_edge.sources import VideoSource
from tests.conftest import REPO_ROOT

SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-gi lives
SERVER_START_TIMEOUT_S = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def rtsp_url(samples_dir: Path) -> Iterator[str]:
    command = [
        SYSTEM_PYTHON,
        str(REPO_ROOT / "tools" / "rtsp_server.py"),
        "--port",
        str(_free_port()),
        "--clip",
        str(samples_dir / "vtest_h264.mp4"),
        "--mount",
        "/cam",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()  # blocks until READY or the server exits
        if not line.startswith("READY "):
            server.kill()
            _, errors = server.communicate(timeout=SERVER_START_TIMEOUT_S)
            pytest.fail(f"RTSP server did not start: {line!r} {errors}")
        yield line.removeprefix("READY ")
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


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
