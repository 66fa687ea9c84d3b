"""A clip cut around a known event on the real footage: from the last keyframe at or before
``pre_s``, ``post_s`` after, muxed without re-encoding into an MP4 that decodes end to end."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np

from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.clips.packets import BufferedPacket
from gridwatch_edge.clips.remux import remux
from gridwatch_edge.clips.ring import PacketRing
from tests.edge.clips.helpers import GOP_S, H264_CLIP, decoded_times, replay_with_event

EVENT_AT_S = 31.0  # not on a keyframe: the clip must reach back to the one before 26 s


def test_clip_starts_at_or_before_pre_roll_lasts_its_time_and_plays(
    samples_dir: Path, tmp_path: Path
) -> None:
    config = ClipsConfig(pre_s=5.0, post_s=10.0, path=tmp_path)
    replayed = replay_with_event(samples_dir / H264_CLIP, config, event_at_s=EVENT_AT_S)
    (cut,) = replayed.clips
    event_s = replayed.event_frame.media_time_s
    assert not cut.truncated
    first_s = cut.packets[0].at_s
    assert cut.packets[0].keyframe
    assert event_s - config.pre_s - GOP_S < first_s <= event_s - config.pre_s

    path = tmp_path / "clip.mp4"
    remuxed = remux(cut, path)
    times = decoded_times(path)  # FFmpeg decodes every picture of the file
    assert len(times) == remuxed.packets == len(cut.packets)
    duration = times[-1] - times[0]
    planned = config.pre_s + config.post_s
    assert planned - 0.1 <= duration <= planned + GOP_S  # the configured time, +-1 GOP
    info = remuxed.info
    assert info.codec == "h264"
    assert (info.width, info.height) == (1280, 720)
    assert info.starts_at <= info.event_at <= info.ends_at
    assert (info.event_at - info.starts_at).total_seconds() >= config.pre_s
    with av.open(str(path)) as container:
        described = json.loads(container.metadata["comment"])
    assert described["clip_id"] == str(cut.clip_id)
    assert described["event_at"] == info.event_at.isoformat()


def test_remuxed_pictures_are_the_cameras_own(samples_dir: Path, tmp_path: Path) -> None:
    """No re-encoding: the clip's first picture is bit-exact the source's at that time."""
    config = ClipsConfig(pre_s=2.0, post_s=2.0, path=tmp_path)
    replayed = replay_with_event(samples_dir / H264_CLIP, config, event_at_s=EVENT_AT_S)
    (cut,) = replayed.clips
    path = tmp_path / "clip.mp4"
    remux(cut, path)
    with av.open(str(path)) as container:
        clip_first = next(container.decode(video=0)).to_ndarray(format="yuv420p")
    with av.open(str(samples_dir / H264_CLIP)) as source:
        stream = source.streams.video[0]
        wanted = cut.packets[0].pts
        original = next(f for f in source.decode(stream) if f.pts == wanted)
        assert np.array_equal(original.to_ndarray(format="yuv420p"), clip_first)


def test_an_update_while_recording_extends_the_clip(samples_dir: Path, tmp_path: Path) -> None:
    config = ClipsConfig(pre_s=2.0, post_s=4.0, max_s=60.0, path=tmp_path)
    plain = replay_with_event(samples_dir / H264_CLIP, config, event_at_s=EVENT_AT_S)
    extended = replay_with_event(
        samples_dir / H264_CLIP, config, event_at_s=EVENT_AT_S, update_at_s=EVENT_AT_S + 3
    )
    (short,), (long,) = plain.clips, extended.clips
    assert long.packets[-1].at_s - short.packets[-1].at_s >= 2.5  # ~3 s later


def test_the_cap_bounds_a_clip_whatever_the_updates(samples_dir: Path, tmp_path: Path) -> None:
    config = ClipsConfig(pre_s=1.0, post_s=2.0, max_s=4.0, path=tmp_path)
    replayed = replay_with_event(
        samples_dir / H264_CLIP, config, event_at_s=EVENT_AT_S, update_at_s=EVENT_AT_S + 1.5
    )
    (cut,) = replayed.clips
    assert cut.packets[-1].at_s - cut.packets[0].at_s <= config.max_s


def test_the_ring_holds_pre_roll_plus_at_most_one_gop(samples_dir: Path) -> None:
    ring = PacketRing(keep_s=5.0, max_bytes=64 * 1024 * 1024)
    for packet in _packets(samples_dir / H264_CLIP):
        ring.add(packet)
        held = ring.since(float("-inf"))
        assert held[0].keyframe
        if packet.at_s >= 5.0 + GOP_S:
            assert held[0].at_s <= packet.at_s - 5.0  # a clip can start pre_s back
            assert ring.usage().seconds <= 5.0 + GOP_S  # and no more than a GOP beyond
    assert ring.overflows == 0


def test_the_byte_cap_drops_the_oldest_gops(samples_dir: Path) -> None:
    cap = 400_000  # about one GOP of this clip
    ring = PacketRing(keep_s=5.0, max_bytes=cap)
    for packet in _packets(samples_dir / H264_CLIP):
        ring.add(packet)
        assert ring.usage().data_bytes <= cap
    assert ring.overflows > 0


def _packets(path: Path) -> list[BufferedPacket]:
    """Every packet of ``path`` as the recorder keeps it, on its media timeline."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tick = float(stream.time_base or 0)
        return [
            BufferedPacket.of(packet, (packet.dts or 0) * tick)
            for packet in container.demux(stream)
            if packet.size
        ]
