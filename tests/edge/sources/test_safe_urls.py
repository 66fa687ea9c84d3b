"""A camera URL can only reach a camera: FFmpeg's protocol whitelist is the last line of
defence behind ``check_source_url``, and credentials never leak into errors, status or logs."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from gridwatch_edge.config import SourceSettings
from gridwatch_edge.errors import SourceError
from gridwatch_edge.sources import SourceKind, check_source_url
from gridwatch_edge.sources.capture import OPTIONS_VARIABLE, open_capture
from gridwatch_edge.sources.pyav_stream import open_container
from gridwatch_edge.sources.reader import CameraReader, ConnectionChange

BACKENDS = ["pyav", "opencv"]


def _opens(url: str, kind: SourceKind, backend: str) -> bool:
    if backend == "pyav":
        try:
            open_container(url, kind, open_timeout_s=3, read_timeout_s=3).close()
        except SourceError:
            return False
        return True
    capture = open_capture(url, kind, open_timeout_s=3, read_timeout_s=3, decoder_threads=1)
    try:
        return bool(capture.isOpened())
    finally:
        capture.release()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_clip_opens_as_a_file(vtest_clip: Path, backend: str) -> None:
    assert _opens(str(vtest_clip), SourceKind.FILE, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("prefix", ["", "file:"])
def test_a_local_path_given_as_a_network_camera_cannot_be_opened(
    vtest_clip: Path, backend: str, prefix: str
) -> None:
    assert not _opens(f"{prefix}{vtest_clip}", SourceKind.LIVE, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "wrapper", ["concat:{0}|{0}", "subfile:,,start,0,end,0,,:{0}", "http://127.0.0.1:9/{0}"]
)
def test_ffmpeg_refuses_other_protocols(vtest_clip: Path, wrapper: str, backend: str) -> None:
    # Past check_source_url (which refuses these schemes) FFmpeg itself must refuse them too.
    url = wrapper.format(vtest_clip)
    assert not _opens(url, SourceKind.FILE, backend)
    assert not _opens(url, SourceKind.LIVE, backend)


@pytest.mark.parametrize(
    "url", ["file:{0}", "http://127.0.0.1:9/{0}", "concat:{0}|{0}", "subfile:,,start,0,end,0,,:{0}"]
)
def test_unsafe_urls_are_refused_before_ffmpeg(vtest_clip: Path, url: str) -> None:
    with pytest.raises(SourceError, match="unsupported scheme"):
        check_source_url(url.format(vtest_clip))


def test_credentials_never_in_errors_status_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    changes: list[ConnectionChange] = []
    got_change = threading.Event()

    def on_change(change: ConnectionChange) -> None:
        changes.append(change)
        got_change.set()

    # Port 9 (discard) on loopback refuses at once: a real failed open, quickly.
    reader = CameraReader(
        "door",
        "rtsp://admin:hunter2@127.0.0.1:9/stream",
        analysis_fps=2,
        realtime=True,
        settings=SourceSettings(open_timeout_s=2, reconnect_min_s=0.2, reconnect_max_s=0.4),
        on_change=on_change,
    )
    with caplog.at_level(logging.DEBUG):
        reader.start()
        try:
            assert got_change.wait(30), "no camera_offline for an unreachable camera"
        finally:
            reader.stop(10)
    status = reader.status()
    texts = [reader.display_name, repr(status), *(c.reason for c in changes), caplog.text]
    for text in texts:
        assert "hunter2" not in text
        assert "admin" not in text
    assert not changes[0].online
    assert "127.0.0.1:9" in changes[0].reason
    assert status.quality.value == "offline"


def test_ffmpeg_errors_never_carry_credentials() -> None:
    # FFmpeg's own error text names the URL it failed on; only its kind may reach the message.
    with pytest.raises(SourceError) as caught:
        open_container(
            "rtsp://admin:hunter2@127.0.0.1:9/stream",
            SourceKind.LIVE,
            open_timeout_s=2,
            read_timeout_s=2,
        )
    message = str(caught.value)
    assert "hunter2" not in message
    assert "admin" not in message
    assert "rtsp://***@127.0.0.1:9/stream" in message


def test_the_opencv_whitelist_does_not_outlive_the_open(
    vtest_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OPTIONS_VARIABLE, raising=False)
    assert not _opens(str(vtest_clip), SourceKind.LIVE, "opencv")
    assert OPTIONS_VARIABLE not in os.environ  # a later plain VideoCapture opens files again
