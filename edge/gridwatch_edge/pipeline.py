"""Per-camera processing: reader → motion gate → detector → tracker → rules → alert → sink."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from gridwatch_contract.messages import MAX_REASON_LENGTH, CameraStats
from gridwatch_edge.alerts import AlertSizeLimits, build_alert
from gridwatch_edge.camera_health import camera_health_alert
from gridwatch_edge.clips.camera import CameraClips
from gridwatch_edge.config import CameraConfig, MotionConfig, SourceSettings
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.motion import MotionGate
from gridwatch_edge.object_filter import ObjectFilter
from gridwatch_edge.rules import Rule, build_rules
from gridwatch_edge.scheduling import CpuScheduling, schedule_this_thread
from gridwatch_edge.shared_detector import SharedDetector
from gridwatch_edge.sinks import AlertSink
from gridwatch_edge.sources import Frame
from gridwatch_edge.sources.reader import CameraReader, ConnectionChange
from gridwatch_edge.sources.status import RateMeter
from gridwatch_edge.sources.url import UrlGuard
from gridwatch_edge.tracking import ByteTracker
from gridwatch_edge.zones import Masks

logger = logging.getLogger(__name__)
# What the contract refuses in free text (gridwatch_contract.messages.NO_CONTROL_CHARACTERS).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

# How long the pipeline waits for a frame before checking for a stop request.
FRAME_POLL_S = 0.25
# The reader stops within one FFmpeg read timeout at worst; a frame is done in ~50 ms.
READER_STOP_TIMEOUT_S = 10.0
# Frame-to-sink latencies kept for the p95: a few minutes of one camera at 2 fps.
LATENCY_WINDOW = 512


@dataclass(frozen=True)
class MediaWindow:
    """Part of a recording to analyse (replays): frames before ``start_s`` are decoded and
    dropped, the stream ends after ``end_s``."""

    start_s: float = 0.0
    end_s: float | None = None

    def before(self, media_time_s: float) -> bool:
        return media_time_s < self.start_s

    def after(self, media_time_s: float) -> bool:
        return self.end_s is not None and media_time_s > self.end_s


class CameraPipeline:
    def __init__(
        self,
        camera: CameraConfig,
        *,
        edge_id: str,
        detector: SharedDetector,
        sink: AlertSink,
        snapshot_max_bytes: int,
        message_max_bytes: int,
        sources: SourceSettings | None = None,
        motion: MotionConfig | None = None,
        scheduling: CpuScheduling = "normal",
        window: MediaWindow | None = None,
        clips: CameraClips | None = None,
        url_guard: UrlGuard | None = None,
    ) -> None:
        self.camera = camera
        self._window = window or MediaWindow()
        self._scheduling = scheduling
        self._clips = clips
        self._edge_id = edge_id
        self._detector = detector
        self._sink = sink
        self._size_limits = AlertSizeLimits(message_max_bytes, snapshot_max_bytes)
        self._reader = CameraReader(
            camera.id,
            camera.url,
            analysis_fps=camera.analysis_fps,
            realtime=camera.realtime,
            settings=sources or SourceSettings(),
            on_change=self._on_connection_change,
            scheduling=scheduling,
            packet_tap=clips.reader_tap if clips is not None else None,
            url_guard=url_guard,
        )
        motion = camera.motion or motion or MotionConfig()
        self._gate = MotionGate(motion, Masks(camera.masks.motion)) if motion.enabled else None
        self._filter = ObjectFilter(camera.filters, detector.class_names, camera.id, "camera")
        self._object_masks = Masks(camera.masks.objects)
        self._last_detections = Detections.empty()
        self._last_frame: Frame | None = None
        self._tracker = ByteTracker(camera.tracker)
        self._rules: list[Rule] = build_rules(
            camera, detector.class_names, self._tracker, detector.detect
        )
        self.finished = False
        self.failed = False
        self.frames_analysed = 0
        self.frames_detected = 0
        self.alerts = 0
        self.alerts_refused = 0  # built alerts the contract refused (never sent)
        self._analysed_rate = RateMeter()
        self._latencies_s: deque[float] = deque(maxlen=LATENCY_WINDOW)
        # The newest frame taken for analysis, for central's snapshot requests (``requests``):
        # one reference, replaced per frame; converted to a JPEG only when someone asks.
        self.latest_frame: Frame | None = None

    @property
    def online(self) -> bool:
        return self._reader.status().online

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    @property
    def reader(self) -> CameraReader:
        return self._reader

    @property
    def clips(self) -> CameraClips | None:
        return self._clips

    @property
    def motion_gate(self) -> MotionGate | None:
        return self._gate

    def run(self, stop: threading.Event) -> None:
        """Process frames until ``stop`` is set or a file ends; never raises for source trouble.

        Connection loss, reconnects and back-off are the reader's business; this loop only
        ever sees the newest frame due for analysis.
        """
        schedule_this_thread(self._scheduling)
        if self._clips is not None:
            self._clips.start()
        self._reader.start()
        try:
            while not stop.is_set():
                frame = self._reader.next_frame(FRAME_POLL_S)
                if frame is not None and self._window.after(frame.media_time_s):
                    self.finished = True
                    return
                if frame is not None and not self._window.before(frame.media_time_s):
                    self.process(frame)
                elif frame is None and self._reader.done:
                    self.failed = self._reader.failed
                    self.finished = True
                    return
        finally:
            self._reader.stop(READER_STOP_TIMEOUT_S)
            try:
                # Before the record stream stops: the rules' last events still get their clips.
                self.finish()
            finally:
                if self._clips is not None:
                    self._clips.stop()

    def process(self, frame: Frame) -> None:
        self.latest_frame = frame
        # On a still frame the gate hands back the previous detections; the tracker then sees
        # every object where it was, which is exactly what a still scene means.
        detections = self._tracker.update(self._admitted(frame), frame.media_time_s)
        self.frames_analysed += 1
        self._last_frame = frame
        self._analysed_rate.add()
        for rule in self._rules:
            for event in rule.update(frame, detections):
                self._emit(event, frame, rule)
        if frame.arrived_at:
            self._latencies_s.append(time.monotonic() - frame.arrived_at)

    def finish(self) -> None:
        """End of stream (file end or stop): rules report what they still hold, e.g. counts."""
        frame = self._last_frame
        if frame is None:
            return
        self._last_frame = None  # once only
        for rule in self._rules:
            try:
                for event in rule.finish(frame):
                    self._emit(event, frame, rule)
            except Exception:  # one rule's report must not keep the others from theirs
                logger.exception(
                    "camera %s: rule %s failed to finish", self.camera.id, rule.rule_id
                )

    def _admitted(self, frame: Frame) -> Detections:
        """This frame's detections that pass the camera's filters and object masks."""
        detections = self._filter.apply(self._detect(frame), frame.width, frame.height)
        return self._object_masks.drop_covered(detections, frame.width, frame.height)

    def _detect(self, frame: Frame) -> Detections:
        """Fresh detections, or the previous ones when the motion gate saw a still scene."""
        if self._gate is None or self._gate.should_detect(frame.picture, frame.media_time_s):
            self._last_detections = self._detector.detect(frame.picture)
            self.frames_detected += 1
        return self._last_detections

    def latencies_s(self) -> list[float]:
        """Recent frame-to-sink latencies (frame arrival to the end of its rules)."""
        return list(self._latencies_s)

    def _on_connection_change(self, change: ConnectionChange) -> None:
        self._sink.publish_alert(
            camera_health_alert(
                change,
                edge_id=self._edge_id,
                camera=self.camera,
                model=self._detector.model_info,
            )
        )

    def _emit(self, event: Event, frame: Frame, rule: Rule) -> None:
        clip_id = self._clips.on_event(event, frame) if self._clips is not None else None
        try:
            alert = build_alert(
                event,
                edge_id=self._edge_id,
                camera=self.camera,
                frame=frame,
                zone_polygons=rule.overlays(frame.width, frame.height),
                model=self._detector.model_info,
                class_names=self._detector.class_names,
                limits=self._size_limits,
                clip_id=clip_id,
            )
        except ValidationError as error:
            # The contract refuses values no receiver can store (gridwatch_contract.messages);
            # such an alert is never sent, and the camera goes on with the next frame.
            self.alerts_refused += 1
            logger.error(
                "camera %s: %s alert of rule %s refused by the contract, not sent: %s",
                self.camera.id,
                event.event_type.value,
                event.rule_id,
                error,
            )
            return
        self._sink.publish_alert(alert)
        self.alerts += 1
        logger.info(
            "camera %s: %s %s (%s) at media %.1f s",
            self.camera.id,
            event.event_type.value,
            event.state.value,
            event.rule_id,
            event.media_time_s,
        )

    def stats(self) -> CameraStats:
        """Counters since start; rates over the last few seconds."""
        status = self._reader.status()
        analysed = self.frames_analysed
        return CameraStats(
            camera_id=self.camera.id,
            online=status.online,
            connection=status.quality.value,
            input_fps=status.input_fps,
            analysed_fps=self._analysed_rate.rate(),
            frames_read=status.frames_read,
            frames_analysed=analysed,
            frames_skipped=max(status.frames_read - analysed, 0),
            frames_motion_skipped=self._gate.frames_skipped if self._gate else 0,
            reconnects_last_hour=status.reconnects_last_hour,
            alerts=self.alerts,
            last_frame_at=_ago(status.last_frame_age_s),
            last_error=_one_line(status.last_error),
            last_error_at=_ago(status.last_error_age_s),
        )


def _ago(age_s: float | None) -> datetime | None:
    """The wall-clock time ``age_s`` seconds ago (ages come from the monotonic clock)."""
    return None if age_s is None else datetime.now(UTC) - timedelta(seconds=age_s)


def _one_line(text: str | None) -> str | None:
    """An error text as the contract carries it: one line, no control characters, bounded."""
    if text is None:
        return None
    return _CONTROL_CHARACTERS.sub(" ", text)[:MAX_REASON_LENGTH]
