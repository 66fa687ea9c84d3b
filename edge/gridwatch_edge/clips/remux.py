"""A cut clip becomes an MP4 a browser plays, without decoding or re-encoding a frame.

The packets are written as they were demuxed, their timestamps rebased so the file starts at
zero, into a ``faststart`` MP4 (the index before the media, so a ``<video>`` starts playing and
seeks with range requests at once). The event's time range and ids travel in the file's
``comment`` tag as JSON, and its first frame's wall time in ``creation_time``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import av

from gridwatch_contract.clip_messages import ClipInfo
from gridwatch_edge.clips.packets import BufferedPacket
from gridwatch_edge.clips.recorder import CutClip

MP4_OPTIONS = {"movflags": "+faststart"}


class RemuxError(Exception):
    """A cut clip that cannot become an MP4; the reason is fit for a log and for central."""


@dataclass(frozen=True, slots=True)
class RemuxedClip:
    info: ClipInfo
    packets: int


def remux(clip: CutClip, path: Path) -> RemuxedClip:
    """Write ``clip`` to ``path`` as MP4; ``RemuxError`` if it holds nothing playable."""
    packets = playable_packets(clip.packets)
    if clip.template is None or not packets:
        raise RemuxError("the stream was lost before the clip's first keyframe")
    template = clip.template
    first, last = packets[0], packets[-1]
    last_duration_s = last.duration * float(template.time_base)
    info = ClipInfo(
        codec=template.codec,
        width=template.width,
        height=template.height,
        starts_at=clip.wall_time(first.at_s),
        ends_at=clip.wall_time(last.at_s + last_duration_s),
        event_at=clip.event_at,
        truncated=clip.truncated,
    )
    base = _decode_ts(first)
    try:
        with (
            template.stream() as source,
            av.open(str(path), "w", format="mp4", options=MP4_OPTIONS) as output,
        ):
            stream = output.add_stream_from_template(source)
            output.metadata["comment"] = _description(clip, info)
            output.metadata["creation_time"] = info.starts_at.isoformat()
            for buffered in packets:
                packet = av.Packet(buffered.data)
                decode_ts = _decode_ts(buffered) - base
                packet.dts = decode_ts
                packet.pts = decode_ts if buffered.pts is None else buffered.pts - base
                packet.duration = buffered.duration
                packet.is_keyframe = buffered.keyframe
                packet.time_base = template.time_base
                packet.stream = stream
                output.mux(packet)
    except (av.FFmpegError, ValueError) as error:
        path.unlink(missing_ok=True)
        raise RemuxError(f"muxing the clip failed: {error}") from None
    return RemuxedClip(info, len(packets))


def playable_packets(packets: list[BufferedPacket]) -> list[BufferedPacket]:
    """From the first keyframe on, without timestamp-less packets or decode times that do
    not increase (an MP4 muxer refuses both; a camera's clock glitch must not lose the clip)."""
    kept: list[BufferedPacket] = []
    for packet in packets:
        if not kept and not packet.keyframe:
            continue
        if packet.dts is None and packet.pts is None:
            continue
        if kept and _decode_ts(packet) <= _decode_ts(kept[-1]):
            continue
        kept.append(packet)
    return kept


def _decode_ts(packet: BufferedPacket) -> int:
    ts = packet.dts if packet.dts is not None else packet.pts
    assert ts is not None  # playable_packets keeps only packets with a timestamp
    return ts


def _description(clip: CutClip, info: ClipInfo) -> str:
    return json.dumps(
        {
            "clip_id": str(clip.clip_id),
            "event_id": str(clip.event_id),
            "camera_id": clip.camera_id,
            "event_at": info.event_at.isoformat(),
            "starts_at": info.starts_at.isoformat(),
            "ends_at": info.ends_at.isoformat(),
            "truncated": info.truncated,
        },
        separators=(",", ":"),
    )
