"""The OpenCV backend (``sources.backend: opencv``), kept as a fallback for PyAV.

A camera URL must only ever reach a camera here too. OpenCV passes
``OPENCV_FFMPEG_CAPTURE_OPTIONS`` (``key;value|key;value``) to FFmpeg's ``avformat_open_input``;
it is read from the process environment at every open. We put a ``protocol_whitelist`` there:
network cameras may use RTSP and its transports only, files the ``file`` protocol only. So even
if an address slipped past ``check_source_url`` (``concat:``, ``subfile:``, a local path
configured as a camera, an ``http`` redirect inside RTSP), FFmpeg itself refuses to open it.

The variable is process-wide, so opens with different options must not overlap: ``_OptionsGate``
lets any number of opens with the *same* options run together (every RTSP camera reconnecting
at once) and makes an open with other options wait until they are done.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import cv2
import numpy as np

from gridwatch_contract.broker import redact_url
from gridwatch_edge.errors import SourceError
from gridwatch_edge.picture import ArrayPicture, Picture
from gridwatch_edge.sources.decoding import Grabbed
from gridwatch_edge.sources.url import SourceKind

OPTIONS_VARIABLE = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
# TCP interleaving survives NAT and lossy links where UDP RTP drops whole frames; rtp/udp stay
# whitelisted because RTSP negotiates them internally, tls for rtsps://.
LIVE_OPTIONS = "rtsp_transport;tcp|protocol_whitelist;rtsp,rtsps,rtp,srtp,udp,tcp,tls"
FILE_OPTIONS = "protocol_whitelist;file"


def ffmpeg_options(kind: SourceKind) -> str:
    return LIVE_OPTIONS if kind is SourceKind.LIVE else FILE_OPTIONS


class _OptionsGate:
    """A shared lock keyed by the options value (see the module docstring). The variable is
    set only while opens hold it, and then restored, so that no other ``VideoCapture`` of the
    process (a tool, a test) inherits a whitelist meant for cameras."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._value: str | None = None
        self._holders = 0
        self._previous: str | None = None

    @contextmanager
    def holding(self, value: str) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: self._holders == 0 or self._value == value)
            if self._holders == 0:
                self._previous = os.environ.get(OPTIONS_VARIABLE)
                os.environ[OPTIONS_VARIABLE] = value
                self._value = value
            self._holders += 1
        try:
            yield
        finally:
            with self._condition:
                self._holders -= 1
                if self._holders == 0:
                    self._restore()
                self._condition.notify_all()

    def _restore(self) -> None:
        if self._previous is None:
            os.environ.pop(OPTIONS_VARIABLE, None)
        else:
            os.environ[OPTIONS_VARIABLE] = self._previous
        self._value = None


# The environment is process-global state, so its guard must be too (created, not used, at
# import: no side effect happens before an open).
_GATE = _OptionsGate()


def open_capture(
    url: str,
    kind: SourceKind,
    *,
    open_timeout_s: float,
    read_timeout_s: float,
    decoder_threads: int,
) -> cv2.VideoCapture:
    """A ``VideoCapture`` (maybe not opened: check ``isOpened()``) restricted to ``kind``'s
    protocols, with FFmpeg's interrupt timeouts set for opening and for every read."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        round(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        round(read_timeout_s * 1000),
    ]
    if decoder_threads > 0:
        params += [cv2.CAP_PROP_N_THREADS, decoder_threads]
    with _GATE.holding(ffmpeg_options(kind)):
        return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


class OpenCvStream:
    """A ``DecodedStream`` over OpenCV's capture: every frame is decoded (OpenCV's FFmpeg
    backend takes no decoder options), pictures are numbered and timed by their position."""

    def __init__(self, capture: cv2.VideoCapture, *, display_name: str) -> None:
        self._capture = capture
        self._display_name = display_name
        self._fps = float(capture.get(cv2.CAP_PROP_FPS))
        self._received = 0

    @classmethod
    def open(
        cls,
        url: str,
        kind: SourceKind,
        *,
        open_timeout_s: float,
        read_timeout_s: float,
        decoder_threads: int,
    ) -> OpenCvStream:
        capture = open_capture(
            url,
            kind,
            open_timeout_s=open_timeout_s,
            read_timeout_s=read_timeout_s,
            decoder_threads=decoder_threads,
        )
        if not capture.isOpened():
            capture.release()
            what = "stream" if kind is SourceKind.LIVE else "video file"
            raise SourceError(f"cannot open {what} {redact_url(url)} (unreachable or undecodable)")
        return cls(capture, display_name=redact_url(url))

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def received(self) -> int:
        return self._received

    def grab(self) -> Grabbed | None:
        if not self._capture.grab():
            return None
        self._received += 1
        return Grabbed(self._received - 1, None)

    def retrieve(self) -> Picture:
        ok, image = self._capture.retrieve()
        if not ok or image is None:
            raise SourceError(f"cannot decode frame {self._received - 1} of {self._display_name}")
        return ArrayPicture(np.asarray(image, dtype=np.uint8))  # no copy: 8-bit BGR already

    def close(self) -> None:
        self._capture.release()
