"""The ring of one camera's last seconds of packets, kept as whole GOPs.

A clip can only start at a keyframe, so the ring drops whole GOPs from its old end: it always
holds a keyframe at or before ``newest - keep_s`` (once the camera has run that long) and
everything after it, which is ``keep_s`` plus at most one GOP. A byte cap bounds it whatever
the stream's bitrate: over the cap, the oldest GOPs go first (counted), and if a single GOP is
over it, the ring empties and waits for the next keyframe.

Not thread-safe: the recorder owning it holds its lock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from gridwatch_edge.clips.packets import BufferedPacket


@dataclass(slots=True)
class _Gop:
    packets: list[BufferedPacket]
    size: int

    @property
    def start_s(self) -> float:
        return self.packets[0].at_s


@dataclass(frozen=True, slots=True)
class RingUsage:
    packets: int
    data_bytes: int  # the packets' payload; Python adds ~150 bytes per packet
    seconds: float


@dataclass(slots=True)
class PacketRing:
    keep_s: float
    max_bytes: int
    _gops: deque[_Gop] = field(default_factory=deque)
    _bytes: int = 0
    _packets: int = 0
    overflows: int = 0  # GOPs dropped because of the byte cap

    def add(self, packet: BufferedPacket) -> None:
        if packet.keyframe:
            self._gops.append(_Gop([packet], len(packet.data)))
        elif self._gops:
            gop = self._gops[-1]
            gop.packets.append(packet)
            gop.size += len(packet.data)
        else:
            return  # nothing before the first keyframe can start a clip
        self._bytes += len(packet.data)
        self._packets += 1
        self._evict(packet.at_s)

    def since(self, at_s: float) -> list[BufferedPacket]:
        """The packets from the last keyframe at or before ``at_s`` (from the oldest keyframe
        when none is that old) up to the newest."""
        start = 0
        for index, gop in enumerate(self._gops):
            if gop.start_s > at_s:
                break
            start = index
        return [packet for gop in list(self._gops)[start:] for packet in gop.packets]

    def clear(self) -> None:
        self._gops.clear()
        self._bytes = self._packets = 0

    def usage(self) -> RingUsage:
        seconds = self._gops[-1].packets[-1].at_s - self._gops[0].start_s if self._gops else 0.0
        return RingUsage(self._packets, self._bytes, seconds)

    def _evict(self, newest_s: float) -> None:
        while len(self._gops) >= 2 and self._gops[1].start_s <= newest_s - self.keep_s:
            self._drop_oldest()
        while self._bytes > self.max_bytes and len(self._gops) > 1:
            self._drop_oldest()
            self.overflows += 1
        if self._bytes > self.max_bytes:
            self.clear()
            self.overflows += 1

    def _drop_oldest(self) -> None:
        gop = self._gops.popleft()
        self._bytes -= gop.size
        self._packets -= len(gop.packets)
