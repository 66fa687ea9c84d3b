"""A demuxed packet as the ring keeps it, and the stream parameters a clip is muxed with.

Packets are kept exactly as demuxed (``bytes(packet)``, one copy out of FFmpeg's buffer): no
decoding, no re-encoding. What an MP4 muxer needs besides them (codec, size, the SPS/PPS in
``extradata``, time base...) lives in the demuxer's stream, which dies with its connection,
while a clip is muxed later on another thread. ``StreamTemplate`` therefore keeps those
parameters as FFmpeg itself serialises them: a NUT header written from the stream (a few
hundred bytes, once per connection), read back as a template stream when a clip is muxed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Final, cast, get_args

import av

from gridwatch_contract.clip_messages import ClipCodec

if TYPE_CHECKING:
    from av.video.stream import VideoStream

    from gridwatch_edge.sources.decoding import VideoPacket

# Codecs a browser plays from an MP4 (see ClipCodec); everything else would need re-encoding.
REMUXABLE_CODECS: Final = frozenset(get_args(ClipCodec))
# NUT, not Matroska or MP4: FFmpeg's NUT demuxer reads a header followed by one placeholder
# packet back with every codec parameter, where the others need real frames to probe.
_TEMPLATE_FORMAT = "nut"
_PLACEHOLDER = b"\x00\x00\x00\x00"


@dataclass(frozen=True, slots=True)
class BufferedPacket:
    """One demuxed packet on its camera's clip timeline (``at_s``, see ``recorder``)."""

    at_s: float
    pts: int | None
    dts: int | None
    duration: int
    keyframe: bool
    data: bytes

    @classmethod
    def of(cls, packet: VideoPacket, at_s: float) -> BufferedPacket:
        """``packet`` kept: its timestamps, and its bytes copied once out of FFmpeg's buffer."""
        return cls(
            at_s=at_s,
            pts=packet.pts,
            dts=packet.dts,
            duration=packet.duration or 0,
            keyframe=packet.is_keyframe,
            data=bytes(packet),
        )


@dataclass(frozen=True, slots=True)
class StreamTemplate:
    """The codec parameters of one connection's video stream, detached from it."""

    codec: ClipCodec
    width: int
    height: int
    time_base: Fraction
    header: bytes  # a NUT file holding the stream and one placeholder packet

    @classmethod
    def capture(cls, stream: VideoStream) -> StreamTemplate:
        """The template of ``stream``; ``ValueError`` if its codec cannot go into an MP4."""
        codec = stream.codec_context.name
        if codec not in REMUXABLE_CODECS:
            raise ValueError(
                f"codec {codec} cannot be remuxed into an MP4 a browser plays"
                f" (clips need {', '.join(sorted(REMUXABLE_CODECS))})"
            )
        time_base = stream.time_base
        if time_base is None:
            raise ValueError(f"the {codec} stream declares no time base")
        buffer = io.BytesIO()
        with av.open(buffer, "w", format=_TEMPLATE_FORMAT) as template:
            copy = template.add_stream_from_template(stream)
            placeholder = av.Packet(_PLACEHOLDER)
            placeholder.pts = placeholder.dts = 0
            placeholder.time_base = time_base
            placeholder.stream = copy
            template.mux(placeholder)
        return cls(
            codec=cast(ClipCodec, codec),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            time_base=time_base,
            header=buffer.getvalue(),
        )

    @contextmanager
    def stream(self) -> Iterator[VideoStream]:
        """A stream with these parameters, for ``add_stream_from_template``."""
        with av.open(io.BytesIO(self.header), "r", format=_TEMPLATE_FORMAT) as container:
            yield container.streams.video[0]
