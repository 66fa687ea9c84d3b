"""What ``VideoSource`` needs from a decoder backend (PyAV by default, OpenCV as fallback)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from gridwatch_edge.picture import Picture

if TYPE_CHECKING:  # PyAV's Packet is generic in its stubs only
    import av
    from av.video.stream import VideoStream

    VideoPacket = av.Packet[VideoStream]


@dataclass(frozen=True, slots=True)
class Grabbed:
    """A decoded (not yet converted) picture's place in the stream."""

    index: int  # position in the stream, counting frames the decoder skipped
    # Seconds since the stream's first picture from its timestamps; None when the backend has
    # none (``VideoSource`` then uses index / fps).
    media_time_s: float | None


class DecodedStream(Protocol):
    @property
    def fps(self) -> float:
        """The stream's declared frame rate; 0.0 when it declares none."""
        ...

    @property
    def received(self) -> int:
        """Frames received from the source so far, decoded or skipped."""
        ...

    def grab(self) -> Grabbed | None:
        """Decode up to the next picture; ``None`` at the end of the stream.

        Raises ``SourceError`` when the stream fails (its text never holds credentials)."""
        ...

    def retrieve(self) -> Picture:
        """The last grabbed picture, not yet converted to any size or colour format."""
        ...

    def close(self) -> None: ...


class PacketTap(Protocol):
    """Sees every demuxed packet of a stream, before and whether or not it is decoded (the
    clip recorder). Called on the reader's thread: it must be quick and must not raise."""

    def opened(self, stream: VideoStream) -> None:
        """A connection's video stream, before its first packet."""
        ...

    def packet(self, packet: VideoPacket) -> None: ...

    def closed(self) -> None:
        """The connection ended; no packet follows until the next ``opened``."""
        ...
