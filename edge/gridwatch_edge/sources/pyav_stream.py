"""Decoding with PyAV (FFmpeg's libraries, bundled in its wheels).

Unlike OpenCV's capture, PyAV gives us the decoder itself: frames nothing refers to can be
dropped before decoding (``skip_guard``), and pictures due for analysis are converted only to
the sizes their consumers ask for (``av_picture``). Decoding and demuxing release the GIL, so
camera threads decode in parallel.

Every open carries its own ``protocol_whitelist`` (cameras: RTSP and its transports; files: the
``file`` protocol), so even an address that slipped past ``check_source_url`` (``concat:``,
``subfile:``, a local path configured as a camera, an ``http`` redirect inside RTSP) is refused
by FFmpeg itself, and the open and read timeouts are FFmpeg interrupt deadlines per container.
FFmpeg's error texts name the URL, so only the error's kind reaches our messages.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING

import av
import av.container
from av.video.frame import VideoFrame

from gridwatch_contract.broker import redact_url
from gridwatch_edge.errors import SourceError
from gridwatch_edge.picture import Picture
from gridwatch_edge.sources.av_picture import AvPicture, FullConverter
from gridwatch_edge.sources.decoding import Grabbed, PacketTap
from gridwatch_edge.sources.skip_guard import SkipGuard
from gridwatch_edge.sources.url import SourceKind

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # PyAV's Packet is generic in its stubs only
    from av.video.stream import VideoStream

    _Packet = av.Packet[VideoStream]

# TCP interleaving survives NAT and lossy links where UDP RTP drops whole frames; rtp/udp stay
# whitelisted because RTSP negotiates them internally, tls for rtsps://.
LIVE_OPTIONS = {
    "rtsp_transport": "tcp",
    "protocol_whitelist": "rtsp,rtsps,rtp,srtp,udp,tcp,tls",
}
FILE_OPTIONS = {"protocol_whitelist": "file"}
# A lossy link corrupts a packet now and then; the decoder resynchronises at the next one.
# This many undecodable packets in a row (a few seconds of video) means the stream is broken.
MAX_BAD_PACKETS = 100


def container_options(kind: SourceKind) -> dict[str, str]:
    return dict(LIVE_OPTIONS if kind is SourceKind.LIVE else FILE_OPTIONS)


def open_container(
    url: str, kind: SourceKind, *, open_timeout_s: float, read_timeout_s: float
) -> av.container.InputContainer:
    """An input container restricted to ``kind``'s protocols, or ``SourceError``."""
    try:
        return av.open(
            url,
            mode="r",
            container_options=container_options(kind),
            timeout=(open_timeout_s, read_timeout_s),
        )
    except av.FFmpegError as error:
        what = "stream" if kind is SourceKind.LIVE else "video file"
        raise SourceError(f"cannot open {what} {redact_url(url)} ({_reason(error)})") from None


def _reason(error: av.FFmpegError) -> str:
    # str(error) and error.filename carry the URL with its credentials: never use them.
    return error.strerror or type(error).__name__


class PyAvStream:
    """A ``DecodedStream`` over one PyAV input container."""

    def __init__(
        self,
        container: av.container.InputContainer,
        *,
        display_name: str,
        decoder_threads: int,
        skip_for_fps: float | None,
        deblock: bool = True,
        packet_tap: PacketTap | None = None,
    ) -> None:
        if not container.streams.video:
            container.close()
            raise SourceError(f"{display_name} holds no video stream")
        self._container = container
        self._stream = container.streams.video[0]
        self._tap = packet_tap
        if packet_tap is not None:
            packet_tap.opened(self._stream)
        self._display_name = display_name
        codec = self._stream.codec_context
        codec.thread_count = decoder_threads  # 0 lets FFmpeg choose
        if not deblock:  # an open option: the decoder opens at the first packet
            codec.options = {"skip_loop_filter": "all"}
        rate = self._stream.average_rate or self._stream.guessed_rate
        self._fps = float(rate) if rate else 0.0
        self._guard = (
            SkipGuard(stream_fps=self._fps or 25.0, analysis_fps=skip_for_fps)
            if skip_for_fps is not None
            else None
        )
        if self._guard is not None:
            codec.skip_frame = "NONREF"
        self._packets: Iterator[_Packet] = container.demux(self._stream)
        self._pending: deque[VideoFrame] = deque()
        self._picture: VideoFrame | None = None
        self._converter = FullConverter()
        # Kept as two integers: Fraction arithmetic on every decoded picture was a visible
        # share of the reader threads' Python time with 40 cameras (py-spy), and an integer
        # true division rounds exactly as float(Fraction) does.
        time_base = self._stream.time_base or Fraction(0)
        self._tick_numerator = time_base.numerator
        self._tick_denominator = time_base.denominator
        self._origin_pts: int | None = None
        self._pictures = 0
        self._bad_packets = 0
        self._received = 0

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def received(self) -> int:
        return self._received

    @property
    def skipping(self) -> bool:
        """Whether non-reference frames are being dropped undecoded right now."""
        return self._guard is not None and self._guard.skipping

    def grab(self) -> Grabbed | None:
        while not self._pending:
            packet = self._next_packet()
            if packet is None:
                return None
            self._pending.extend(self._decode(packet))
        picture = self._pending.popleft()
        self._picture = picture
        self._pictures += 1
        return self._place(picture)

    def retrieve(self) -> Picture:
        if self._picture is None:
            raise SourceError(f"no picture grabbed from {self._display_name}")
        # Nothing is converted here: each consumer asks for the size it needs. A full BGR
        # picture is FFmpeg's own conversion, the same pixels OpenCV's capture delivers; one
        # converter per stream keeps its swscale context instead of one per picture.
        return AvPicture(self._picture, self._converter)

    def close(self) -> None:
        self._pending.clear()
        self._picture = None
        if self._tap is not None:
            self._tap.closed()
            self._tap = None
        self._container.close()

    def _next_packet(self) -> _Packet | None:
        try:
            packet = next(self._packets, None)
        except av.FFmpegError as error:
            raise SourceError(
                f"{self._display_name} stopped delivering frames ({_reason(error)})"
            ) from None
        if packet is not None and packet.size:
            self._received += 1
            if self._tap is not None:  # every packet, also those never decoded
                self._tap.packet(packet)
        return packet

    def _decode(self, packet: _Packet) -> list[VideoFrame]:
        try:
            pictures = self._stream.codec_context.decode(packet)
        except av.InvalidDataError:
            self._bad_packets += 1
            if self._bad_packets >= MAX_BAD_PACKETS:
                raise SourceError(f"cannot decode {self._display_name}") from None
            return []
        self._bad_packets = 0
        if self._guard is not None and packet.size:
            self._watch_skipping(len(pictures))
        return pictures

    def _watch_skipping(self, pictures: int) -> None:
        assert self._guard is not None
        if self._guard.skipping and not self._guard.observe(pictures):
            self._stream.codec_context.skip_frame = "DEFAULT"
            logger.info(
                "%s: decoding every frame: skipping non-reference frames left %.1f fps",
                self._display_name,
                self._guard.decoded_fps,
            )

    def _place(self, picture: VideoFrame) -> Grabbed:
        pts = picture.pts
        if pts is None or not self._tick_numerator:
            return Grabbed(self._pictures - 1, None)
        if self._origin_pts is None:
            self._origin_pts = pts
        media_time_s = (pts - self._origin_pts) * self._tick_numerator / self._tick_denominator
        index = round(media_time_s * self._fps) if self._fps else self._pictures - 1
        return Grabbed(index, media_time_s)
