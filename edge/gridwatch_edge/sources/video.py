"""``VideoSource``: frames at the analysis rate from a file or an RTSP camera.

Frames between analysed ones are only grabbed: decoded (or, with PyAV, possibly dropped
undecoded, see ``skip_guard``) but never converted or copied, which is most of the per-frame
cost we can avoid; analysed frames carry their decoded picture, converted on demand. The
decoder backend is PyAV (``pyav_stream``) unless the box is configured for OpenCV's capture
(``capture``).
"""

from __future__ import annotations

import logging
import time
import zlib
from datetime import UTC, datetime

from gridwatch_contract.broker import redact_url
from gridwatch_edge.config import DecodeSkip, SourceBackend
from gridwatch_edge.errors import SourceError
from gridwatch_edge.sources.capture import OpenCvStream
from gridwatch_edge.sources.decoding import DecodedStream, PacketTap
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.sources.pyav_stream import PyAvStream, open_container
from gridwatch_edge.sources.url import SourceKind, UrlGuard, check_source_url

logger = logging.getLogger(__name__)

# Cameras on a loaded 4G uplink can take several seconds for DESCRIBE/SETUP.
OPEN_TIMEOUT_S = 10.0
# A stream silent this long is treated as lost (the pipeline reopens it).
READ_TIMEOUT_S = 5.0
# Used when a file does not declare its frame rate (some AVI muxers write 0).
FALLBACK_FPS = 25.0


def analysis_phase_s(camera_id: str, analysis_fps: float) -> float:
    """Where in its analysis period a camera takes its frames, fixed per camera.

    Cameras opened together (a box booting, a config pushed) would otherwise all take a frame
    at the same instants: every period the shared detector gets one frame from each camera at
    once and the decoders wake together, so the last frames of each burst wait and some go
    stale. Spreading the instants over the period evens the load out (measured with 31
    cameras on the 2-core box: 66 analysed frames/s against 63 with aligned instants, with
    the same CPU). A hash of the id, not a slot count, so adding or replacing a camera moves
    no other camera's instants.
    """
    period_s = 1.0 / analysis_fps
    return zlib.crc32(camera_id.encode()) / 2**32 * period_s


class VideoSource:
    def __init__(
        self,
        url: str,
        *,
        analysis_fps: float,
        realtime: bool = True,
        open_timeout_s: float = OPEN_TIMEOUT_S,
        read_timeout_s: float = READ_TIMEOUT_S,
        decoder_threads: int = 1,
        backend: SourceBackend = "pyav",
        decode_skip: DecodeSkip = "auto",
        analysis_phase_s: float = 0.0,
        packet_tap: PacketTap | None = None,
        url_guard: UrlGuard | None = None,
    ) -> None:
        if not 0.0 <= analysis_phase_s < 1.0 / analysis_fps:
            raise ValueError(f"analysis_phase_s {analysis_phase_s} is outside one period")
        self._kind = check_source_url(url)
        self._url = url
        # Checks the address again right before each connection (``sources.url``).
        self._url_guard = url_guard
        self._analysis_fps = analysis_fps
        self._realtime = realtime
        self._timeouts_s = (open_timeout_s, read_timeout_s)
        self._decoder_threads = decoder_threads
        self._backend = backend
        self._decode_skip = decode_skip
        self._packet_tap = packet_tap  # PyAV only: OpenCV's capture hides the packets
        # Paced sources only: a replay as fast as possible analyses exactly the frames it
        # always did, from the first one on.
        self._phase_s = analysis_phase_s if self.live or realtime else 0.0
        self._stream: DecodedStream | None = None
        self._fps = FALLBACK_FPS
        self._index = -1
        self._next_analysis_s = 0.0
        self._opened_at = 0.0
        self._finished = False
        self._read_before = 0  # frames of earlier opens, so frames_read only grows
        self.frames_read = 0

    @property
    def live(self) -> bool:
        return self._kind is SourceKind.LIVE

    @property
    def finished(self) -> bool:
        """True once a file reached its end (a live stream never finishes, it fails)."""
        return self._finished

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def frames_per_analysis(self) -> float:
        """Input frames per analysed frame (at least 1)."""
        return max(self._fps / self._analysis_fps, 1.0)

    @property
    def display_name(self) -> str:
        return redact_url(self._url)

    @property
    def skips_frames(self) -> bool:
        """Whether frames nothing refers to may be dropped undecoded: PyAV only, and never
        for a replay as fast as possible, which must analyse exactly the frames it always did."""
        return (
            self._backend == "pyav"
            and self._decode_skip != "none"
            and (self.live or self._realtime)
        )

    @property
    def deblocks(self) -> bool:
        """Whether H.264's deblocking filter runs (``decode_skip: auto`` turns it off)."""
        return not (self.skips_frames and self._decode_skip == "auto")

    def open(self) -> None:
        self.close()
        stream = self._open_stream()
        declared = stream.fps
        # Files at absurd rates are broken headers; cameras report their nominal rate.
        self._fps = declared if 0.0 < declared <= 240.0 else FALLBACK_FPS
        self._stream = stream
        self._index = -1
        self._next_analysis_s = self._phase_s
        self._opened_at = time.monotonic()
        self._finished = False

    def close(self) -> None:
        if self._stream is not None:
            self._read_before += self._stream.received
            self._stream.close()
            self._stream = None

    def read(self) -> Frame | None:
        """The next frame due for analysis; ``None`` at the end of a file.

        Raises ``SourceError`` when a live stream stops delivering or a file cannot be decoded.
        """
        stream = self._require_open()
        while True:
            grabbed = stream.grab()
            self.frames_read = self._read_before + stream.received
            if grabbed is None:
                self._end_of_stream()
                return None
            self._index = grabbed.index
            media_time_s = self._media_time_s(grabbed.media_time_s)
            if media_time_s + 1e-6 < self._next_analysis_s:
                continue
            self._next_analysis_s = max(
                self._next_analysis_s + 1.0 / self._analysis_fps, media_time_s
            )
            picture = stream.retrieve()
            arrived_at = self._pace(media_time_s)
            return Frame(
                picture, self._index, media_time_s, datetime.now(UTC), self.live, arrived_at
            )

    def _open_stream(self) -> DecodedStream:
        open_timeout_s, read_timeout_s = self._timeouts_s
        url = self._url if self._url_guard is None else self._url_guard(self._url)
        if self._backend == "opencv":
            return OpenCvStream.open(
                url,
                self._kind,
                open_timeout_s=open_timeout_s,
                read_timeout_s=read_timeout_s,
                decoder_threads=self._decoder_threads,
            )
        container = open_container(
            url, self._kind, open_timeout_s=open_timeout_s, read_timeout_s=read_timeout_s
        )
        return PyAvStream(
            container,
            display_name=self.display_name,
            decoder_threads=self._decoder_threads,
            skip_for_fps=self._analysis_fps if self.skips_frames else None,
            deblock=self.deblocks,
            packet_tap=self._packet_tap,
        )

    def _require_open(self) -> DecodedStream:
        if self._stream is None:
            raise SourceError(f"source {self.display_name} is not open")
        return self._stream

    def _media_time_s(self, stream_time_s: float | None) -> float:
        if self.live:
            return time.monotonic() - self._opened_at
        if stream_time_s is not None:
            return stream_time_s
        return self._index / self._fps

    def _pace(self, media_time_s: float) -> float:
        """Wait for a paced file's frame to be due; return when it arrived (see ``Frame``)."""
        now = time.monotonic()
        if not self._realtime or self.live:
            return now
        due = self._opened_at + media_time_s
        if due > now:
            time.sleep(due - now)
        return due

    def _end_of_stream(self) -> None:
        if self.live:
            raise SourceError(f"stream {self.display_name} stopped delivering frames")
        if self._index < 0:
            raise SourceError(f"video file {self.display_name} holds no decodable frame")
        self._finished = True
