"""Per-camera processing: source → detector → rules → alert → sink, with counters."""

from __future__ import annotations

import logging
import threading
import time

from gridwatch_contract.messages import CameraStats
from gridwatch_edge.alerts import AlertSizeLimits, build_alert
from gridwatch_edge.config import CameraConfig
from gridwatch_edge.errors import SourceError
from gridwatch_edge.events import Event
from gridwatch_edge.rules import Rule, build_rules
from gridwatch_edge.shared_detector import SharedDetector
from gridwatch_edge.sinks import AlertSink
from gridwatch_edge.sources import Frame, VideoSource

logger = logging.getLogger(__name__)

# Reopening a lost camera: first retry quickly (a camera reboot), then back off so a dead
# camera costs nothing; a later issue adds reconnect accounting per hour.
RECONNECT_MIN_S = 1.0
RECONNECT_MAX_S = 30.0


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
    ) -> None:
        self.camera = camera
        self._edge_id = edge_id
        self._detector = detector
        self._sink = sink
        self._size_limits = AlertSizeLimits(message_max_bytes, snapshot_max_bytes)
        self._source = VideoSource(
            camera.url, analysis_fps=camera.analysis_fps, realtime=camera.realtime
        )
        self._rules: list[Rule] = build_rules(camera, detector.class_names)
        self.online = False
        self.finished = False
        self.failed = False
        self.frames_analysed = 0
        self.alerts = 0
        self._rate_mark = (time.monotonic(), 0, 0)

    def run(self, stop: threading.Event) -> None:
        """Process frames until ``stop`` is set or a file ends; never raises for source trouble."""
        delay_s = RECONNECT_MIN_S
        try:
            while not stop.is_set() and not self.finished:
                try:
                    self._run_once(stop)
                    delay_s = RECONNECT_MIN_S
                except SourceError as error:
                    self.online = False
                    logger.error("camera %s: %s", self.camera.id, error)
                    if not self._source.live:
                        self.failed = self.finished = True
                        return
                    stop.wait(delay_s)
                    delay_s = min(delay_s * 2, RECONNECT_MAX_S)
        finally:
            self.online = False
            self._source.close()

    def _run_once(self, stop: threading.Event) -> None:
        self._source.open()
        self.online = True
        logger.info("camera %s: reading %s", self.camera.id, self._source.display_name)
        while not stop.is_set():
            frame = self._source.read()
            if frame is None:
                self.finished = True
                return
            self.process(frame)

    def process(self, frame: Frame) -> None:
        detections = self._detector.detect(frame.image)
        self.frames_analysed += 1
        for rule in self._rules:
            for event in rule.update(frame, detections):
                self._emit(event, frame, rule)

    def _emit(self, event: Event, frame: Frame, rule: Rule) -> None:
        alert = build_alert(
            event,
            edge_id=self._edge_id,
            camera=self.camera,
            frame=frame,
            zone_polygons=[rule.zone.pixel_polygon(frame.width, frame.height)],
            model=self._detector.model_info,
            class_names=self._detector.class_names,
            limits=self._size_limits,
        )
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
        """Counters since start; rates over the time since the previous call."""
        now, read, analysed = time.monotonic(), self._source.frames_read, self.frames_analysed
        then, read_before, analysed_before = self._rate_mark
        self._rate_mark = (now, read, analysed)
        elapsed = max(now - then, 1e-6)
        return CameraStats(
            camera_id=self.camera.id,
            online=self.online,
            input_fps=(read - read_before) / elapsed,
            analysed_fps=(analysed - analysed_before) / elapsed,
            frames_read=read,
            frames_analysed=analysed,
            frames_skipped=max(read - analysed, 0),
            alerts=self.alerts,
        )
