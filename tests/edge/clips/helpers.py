"""Cutting clips from the real sample footage for the clip tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import av

from gridwatch_contract.messages import AlertState, EventType
from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.clips.recorder import CameraClipRecorder, CutClip
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.sources.video import VideoSource

H264_CLIP = "vtest_720p25.mp4"  # 1280x720, 25 fps, a keyframe every 50 frames (2 s)
GOP_S = 2.0
# Lines across the sample footage's walkway, each its own rule: its walkers open an event on
# one of them every few seconds of video (16 events in its 80 s), each event a clip.
LINE_RULES: list[dict[str, object]] = [
    {"type": "line_crossing", "id": f"x{i}", "line": [[x, 0.0], [x, 1.0]], "end_after_s": 1}
    for i, x in enumerate([0.2, 0.35, 0.5, 0.65, 0.8])
] + [
    {"type": "line_crossing", "id": f"y{i}", "line": [[0.0, y], [1.0, y]], "end_after_s": 1}
    for i, y in enumerate([0.4, 0.6, 0.8])
]


def event(state: AlertState = AlertState.NEW, event_id: uuid.UUID | None = None) -> Event:
    now = datetime.now(UTC)
    return Event(
        event_id=event_id or uuid.uuid4(),
        sequence=0 if state is AlertState.NEW else 1,
        state=state,
        event_type=EventType.LEFT_OBJECT,
        rule_id="bag",
        zone_id=None,
        started_at=now,
        updated_at=now,
        media_time_s=0.0,
        confidence=0.9,
        detections=Detections.empty(),
    )


@dataclass
class Replayed:
    clips: list[CutClip]
    recorder: CameraClipRecorder
    event_frame: Frame


def replay_with_event(
    clip: Path, config: ClipsConfig, *, event_at_s: float, update_at_s: float | None = None
) -> Replayed:
    """Replay ``clip`` as fast as it decodes, the recorder tapping the demuxer as in the
    runtime; an event opens on the first analysed frame at ``event_at_s`` or later. Stops
    once the clip is cut."""
    clips: list[CutClip] = []
    recorder = CameraClipRecorder("cam", config, live=False, realtime=False, deliver=clips.append)
    source = VideoSource(str(clip), analysis_fps=5, realtime=False, packet_tap=recorder)
    source.open()
    opened: Event | None = None
    event_frame: Frame | None = None
    try:
        while not clips and (frame := source.read()) is not None:
            if opened is None and frame.media_time_s >= event_at_s:
                opened, event_frame = event(), frame
                assert recorder.on_event(opened, frame) is not None
            elif (
                opened is not None and update_at_s is not None and frame.media_time_s >= update_at_s
            ):
                recorder.on_event(event(AlertState.UPDATE, opened.event_id), frame)
                update_at_s = None
    finally:
        source.close()
    assert event_frame is not None
    return Replayed(clips, recorder, event_frame)


def decoded_times(path: Path) -> list[float]:
    """The presentation time of every picture FFmpeg decodes from ``path``."""
    with av.open(str(path)) as container:
        return [float(frame.time) for frame in container.decode(video=0) if frame.time is not None]
