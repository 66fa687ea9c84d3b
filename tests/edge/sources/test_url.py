"""Only RTSP cameras and local files are accepted; credentials never leak into errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridwatch_edge.errors import SourceError
from gridwatch_edge.sources import SourceKind, VideoSource, check_source_url


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://camera.example/stream.mjpg",
        "https://camera.example/live.m3u8",
        "concat:/a.mp4|/b.mp4",
        "gopher://camera.example/",
        "udp://239.0.0.1:5000",
    ],
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(SourceError, match="unsupported scheme"):
        check_source_url(url)


def test_credentials_never_appear_in_errors() -> None:
    with pytest.raises(SourceError) as caught:
        check_source_url("http://admin:hunter2@10.0.0.7/stream")
    assert "hunter2" not in str(caught.value)
    assert "admin" not in str(caught.value)


def test_credentials_hidden_when_a_camera_is_unreachable() -> None:
    # Port 9 (discard) on loopback refuses at once: a real failed open, quickly.
    source = VideoSource("rtsp://admin:hunter2@127.0.0.1:9/stream", analysis_fps=5)
    with pytest.raises(SourceError) as caught:
        source.open()
    assert "hunter2" not in str(caught.value)
    assert "admin" not in str(caught.value)
    assert "127.0.0.1:9" in str(caught.value)


def test_rtsp_and_files_are_accepted(vtest_clip: Path) -> None:
    assert check_source_url("rtsp://user:pw@10.0.0.7:554/main") is SourceKind.LIVE
    assert check_source_url("rtsps://10.0.0.7/main") is SourceKind.LIVE
    assert check_source_url(str(vtest_clip)) is SourceKind.FILE


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        check_source_url(str(tmp_path / "nope.avi"))
