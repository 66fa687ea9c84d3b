"""One camera's recorder: a tap on its demuxer, the ring, and the clips its events open.

The reader thread hands every demuxed packet to ``packet`` (one ``bytes`` copy, an append; no
decoding). The camera's pipeline thread calls ``on_event`` for every event step: ``new`` opens a
recording from the last keyframe at or before ``pre_s`` (already in the ring) to ``post_s``
after the event; ``update`` and ``end`` extend it to ``post_s`` after themselves while it still
records, up to ``max_s`` in all. The packet that passes the end closes it, and the cut clip
goes to ``deliver`` (the clip worker's queue), never muxed on the reader's thread.

Clip timeline (``at_s``): a live camera's packets are stamped with the monotonic clock when
they arrive, and events with their frame's arrival (``Frame.arrived_at``, the same clock); a
file paced in real time uses its schedule (open time + media time) for both, and a file
replayed as fast as possible its media time for both. So a clip lasts what the camera showed,
however late the detector ran.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gridwatch_contract.messages import AlertState
from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.clips.packets import BufferedPacket, StreamTemplate
from gridwatch_edge.clips.ring import PacketRing, RingUsage
from gridwatch_edge.events import Event
from gridwatch_edge.sources.frame import Frame

if TYPE_CHECKING:
    from av.video.stream import VideoStream

    from gridwatch_edge.sources.decoding import VideoPacket

logger = logging.getLogger(__name__)

# Events whose clip id is remembered for their updates; an event ends long before this many
# others start on one camera, so the oldest is forgotten only if its end was never seen.
MAX_OPEN_EVENTS = 256


@dataclass(frozen=True, slots=True)
class CutClip:
    """A finished recording: the packets of one clip and what the MP4 needs around them."""

    clip_id: uuid.UUID
    event_id: uuid.UUID
    camera_id: str
    template: StreamTemplate | None  # None only when no packet was recorded
    packets: list[BufferedPacket]
    event_s: float  # on the clip timeline
    event_at: datetime  # the same moment on the edge's wall clock
    truncated: bool  # the stream was lost (or the size cap reached) before the planned end

    def wall_time(self, at_s: float) -> datetime:
        return self.event_at + timedelta(seconds=at_s - self.event_s)


@dataclass(slots=True)
class _Recording:
    clip_id: uuid.UUID
    event_id: uuid.UUID
    event_s: float
    event_at: datetime
    end_s: float
    cap_s: float
    template: StreamTemplate
    packets: list[BufferedPacket]
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = sum(len(packet.data) for packet in self.packets)


class CameraClipRecorder:
    """Implements the sources' ``PacketTap``; thread-safe between reader and pipeline."""

    def __init__(
        self,
        camera_id: str,
        config: ClipsConfig,
        *,
        live: bool,
        realtime: bool,
        deliver: Callable[[CutClip], None],
        announce: Callable[[uuid.UUID, uuid.UUID, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.camera_id = camera_id
        self._config = config
        self._live = live
        self._paced = live or realtime
        self._deliver = deliver
        self._announce = announce
        self._clock = clock
        self._lock = threading.Lock()
        self._ring = PacketRing(keep_s=config.pre_s, max_bytes=config.buffer_max_bytes)
        self._template: StreamTemplate | None = None
        self._opened_at = 0.0
        self._first_ts: int | None = None
        self._seconds_per_tick = 0.0
        self._recordings: dict[uuid.UUID, _Recording] = {}
        self._clips_of_events: dict[uuid.UUID, uuid.UUID] = {}
        self.problem: str | None = None  # why this camera records no clips, if it does not
        self.clips_cut = 0

    # --- the tap (reader thread) -------------------------------------------------------------

    def opened(self, stream: VideoStream) -> None:
        try:
            template: StreamTemplate | None = StreamTemplate.capture(stream)
        except ValueError as error:
            template = None
            self._report(str(error))
        else:
            self.problem = None
        with self._lock:
            done = self._finish_all(truncated=True)  # a reconnect without closed() first
            self._ring.clear()
            self._template = template
            self._opened_at = self._clock()
            self._first_ts = None
            time_base = stream.time_base
            self._seconds_per_tick = float(time_base) if time_base else 0.0
        for clip in done:
            self._deliver(clip)

    def packet(self, packet: VideoPacket) -> None:
        if self._template is None or not packet.size:
            return
        buffered = BufferedPacket.of(packet, self._packet_s(packet))
        done: list[CutClip] = []
        with self._lock:
            self._ring.add(buffered)
            for recording in list(self._recordings.values()):
                if buffered.at_s > recording.end_s:
                    done.append(self._finish(recording, truncated=False))
                elif recording.size + len(buffered.data) > self._config.clip_max_bytes:
                    done.append(self._finish(recording, truncated=True))
                else:
                    recording.packets.append(buffered)
                    recording.size += len(buffered.data)
        for clip in done:
            self._deliver(clip)

    def closed(self) -> None:
        with self._lock:
            done = self._finish_all(truncated=True)
            self._ring.clear()
            self._template = None
        for clip in done:
            self._deliver(clip)

    # --- events (pipeline thread) ------------------------------------------------------------

    def on_event(self, event: Event, frame: Frame) -> uuid.UUID | None:
        """The clip id the event's alert refers to; None when this camera records no clips."""
        at_s = frame.arrived_at if self._paced else frame.media_time_s
        if event.state is AlertState.NEW:
            return self._open(event, frame, at_s)
        with self._lock:
            clip_id = self._clips_of_events.get(event.event_id)
            if event.state is AlertState.END:
                self._clips_of_events.pop(event.event_id, None)
            recording = None if clip_id is None else self._recordings.get(clip_id)
            if recording is not None:
                extended = max(recording.end_s, at_s + self._config.post_s)
                recording.end_s = min(extended, recording.cap_s)
            return clip_id

    def usage(self) -> RingUsage:
        with self._lock:
            return self._ring.usage()

    @property
    def ring_overflows(self) -> int:
        return self._ring.overflows

    def _open(self, event: Event, frame: Frame, at_s: float) -> uuid.UUID | None:
        if self._template is None:
            return None
        clip_id = uuid.uuid4()
        if self._announce is not None:
            try:  # durable before the alert names it (outside the lock: an fsync)
                self._announce(clip_id, event.event_id, self.camera_id)
            except Exception:  # no clip rather than a clip nobody could ever account for
                logger.exception(
                    "camera %s: clip of event %s not recorded", self.camera_id, event.event_id
                )
                return None
        with self._lock:
            started = self._start(clip_id, event, frame, at_s)
        if not started:  # the stream closed meanwhile: the clip's notice says so
            self._deliver(
                CutClip(
                    clip_id,
                    event.event_id,
                    self.camera_id,
                    None,
                    [],
                    at_s,
                    frame.captured_at,
                    truncated=True,
                )
            )
        return clip_id

    def _start(self, clip_id: uuid.UUID, event: Event, frame: Frame, at_s: float) -> bool:
        template = self._template
        if template is None:
            return False
        packets = self._ring.since(at_s - self._config.pre_s)
        start_s = packets[0].at_s if packets else at_s
        recording = _Recording(
            clip_id=clip_id,
            event_id=event.event_id,
            event_s=at_s,
            event_at=frame.captured_at,
            end_s=at_s + self._config.post_s,
            cap_s=start_s + self._config.max_s,
            template=template,
            packets=packets,
        )
        self._recordings[recording.clip_id] = recording
        self._clips_of_events[event.event_id] = recording.clip_id
        while len(self._clips_of_events) > MAX_OPEN_EVENTS:
            del self._clips_of_events[next(iter(self._clips_of_events))]
        return True

    def _finish(self, recording: _Recording, *, truncated: bool) -> CutClip:
        del self._recordings[recording.clip_id]
        self.clips_cut += 1
        return CutClip(
            clip_id=recording.clip_id,
            event_id=recording.event_id,
            camera_id=self.camera_id,
            template=recording.template,
            packets=recording.packets,
            event_s=recording.event_s,
            event_at=recording.event_at,
            truncated=truncated,
        )

    def _finish_all(self, *, truncated: bool) -> list[CutClip]:
        return [self._finish(r, truncated=truncated) for r in list(self._recordings.values())]

    def _packet_s(self, packet: VideoPacket) -> float:
        if self._live:
            return self._clock()
        # Decode order (dts) is monotonic where presentation order is not (B-frames).
        ticks = packet.dts if packet.dts is not None else packet.pts
        if ticks is None:
            return self._clock() - self._opened_at if self._paced else 0.0
        if self._first_ts is None:
            self._first_ts = ticks
        media_s = (ticks - self._first_ts) * self._seconds_per_tick
        return self._opened_at + media_s if self._paced else media_s

    def _report(self, problem: str) -> None:
        # Once per camera, not once per reconnect: the camera keeps sending snapshots.
        if problem != self.problem:
            logger.warning(
                "camera %s: no clips: %s; alerts keep their snapshots", self.camera_id, problem
            )
        self.problem = problem
