"""``CameraReader``: one thread per camera keeping the newest analysable frame ready.

The thread decodes continuously and converts to BGR only the frames due for
analysis (``VideoSource.read``). The pipeline takes the newest one with ``next_frame``; if it
was too slow to take the previous one, that stale frame is dropped and counted, so a slow
detector never analyses old queued frames. Recorded files replayed as fast as possible are the
exception: there every due frame is handed over (the reader waits), so replays are exact.

The reader is also the camera's watchdog: FFmpeg's read timeout makes a silent stream fail
after ``stall_timeout_s``; the stream is then closed and reopened with exponential back-off
(neither FFmpeg nor OpenCV reconnects by itself). Connection changes
are reported through ``on_change`` (``camera_offline`` / ``camera_online`` events).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gridwatch_edge.config import SourceSettings
from gridwatch_edge.errors import SourceError
from gridwatch_edge.scheduling import CpuScheduling, schedule_this_thread
from gridwatch_edge.sources.decoding import PacketTap
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.sources.status import (
    EventTimes,
    RateMeter,
    SourceStatus,
    judge_quality,
)
from gridwatch_edge.sources.url import UrlGuard
from gridwatch_edge.sources.video import VideoSource, analysis_phase_s

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConnectionChange:
    online: bool
    reason: str  # never holds credentials
    offline_for_s: float | None = None  # with online=True: how long the camera was away
    frame_size: tuple[int, int] | None = None  # last known (width, height)


class CameraReader:
    def __init__(
        self,
        camera_id: str,
        url: str,
        *,
        analysis_fps: float,
        realtime: bool,
        settings: SourceSettings,
        on_change: Callable[[ConnectionChange], None] | None = None,
        scheduling: CpuScheduling = "normal",
        packet_tap: PacketTap | None = None,
        url_guard: UrlGuard | None = None,
    ) -> None:
        self.camera_id = camera_id
        self._settings = settings
        self._scheduling = scheduling
        self._source = VideoSource(
            url,
            analysis_fps=analysis_fps,
            realtime=realtime,
            open_timeout_s=settings.open_timeout_s,
            read_timeout_s=settings.stall_timeout_s,
            decoder_threads=settings.decoder_threads,
            backend=settings.backend,
            decode_skip=settings.decode_skip,
            analysis_phase_s=analysis_phase_s(camera_id, analysis_fps),
            packet_tap=packet_tap,
            url_guard=url_guard,
        )
        self._on_change = on_change
        # Cameras and paced files behave like live streams: newest frame wins.
        self._drop_stale = self._source.live or realtime
        self._slot: Frame | None = None
        self._condition = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._online = False
        self._announced_offline_at: float | None = None  # set once camera_offline was sent
        self._last_frame_at: float | None = None
        self._frame_size: tuple[int, int] | None = None
        self._last_error: tuple[str, float] | None = None  # (reason, monotonic time)
        self._input = RateMeter()
        self._reconnects = EventTimes()
        self._delivered = 0
        self._dropped_stale = 0
        self.finished = False  # a file reached its end
        self.failed = False  # a file cannot be read: no retry

    @property
    def live(self) -> bool:
        return self._source.live

    @property
    def display_name(self) -> str:
        return self._source.display_name

    @property
    def done(self) -> bool:
        """No frame will ever come again (files only)."""
        return self.finished or self.failed

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"reader-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        self._stop.set()
        with self._condition:
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                logger.warning("camera %s: reader did not stop in time", self.camera_id)

    def next_frame(self, timeout_s: float) -> Frame | None:
        """The newest frame due for analysis, or ``None`` after ``timeout_s`` or when done."""
        with self._condition:
            self._condition.wait_for(
                lambda: self._slot is not None or self.done or self._stop.is_set(), timeout_s
            )
            frame, self._slot = self._slot, None
            self._condition.notify_all()
            return frame

    def status(self) -> SourceStatus:
        now = time.monotonic()
        age = None if self._last_frame_at is None else now - self._last_frame_at
        input_fps = self._input.rate(now)
        recent = self._reconnects.recent(now)
        return SourceStatus(
            online=self._online,
            quality=judge_quality(
                online=self._online,
                last_frame_age_s=age,
                stall_timeout_s=self._settings.stall_timeout_s,
                input_fps=input_fps,
                nominal_fps=self._source.fps,
                live=self.live,
                reconnects_last_hour=recent,
            ),
            input_fps=input_fps,
            frames_read=self._source.frames_read,
            frames_delivered=self._delivered,
            frames_dropped_stale=self._dropped_stale,
            reconnects_last_hour=recent,
            reconnects_total=self._reconnects.total,
            last_frame_age_s=age,
            last_error=None if self._last_error is None else self._last_error[0],
            last_error_age_s=None if self._last_error is None else now - self._last_error[1],
        )

    def _run(self) -> None:
        schedule_this_thread(self._scheduling, niceness=self._settings.reader_niceness)
        delay_s = self._settings.reconnect_min_s
        attempts = 0
        try:
            while not self._stop.is_set() and not self.done:
                attempts += 1
                if self._read_until_lost(reconnect=attempts > 1):
                    delay_s = self._settings.reconnect_min_s  # frames flowed: start over
                if self.done or self._stop.wait(delay_s):
                    return
                delay_s = min(delay_s * 2, self._settings.reconnect_max_s)
        finally:
            self._source.close()
            self._online = False
            with self._condition:
                self._condition.notify_all()

    def _read_until_lost(self, *, reconnect: bool) -> bool:
        """Open and read until the stream fails; True if at least one frame arrived."""
        got_frame = False
        try:
            self._source.open()
            if reconnect:
                self._reconnects.add()
            logger.info("camera %s: reading %s", self.camera_id, self.display_name)
            counted = self._source.frames_read  # frames of earlier connections are counted
            while not self._stop.is_set():
                frame = self._source.read()
                if frame is None:
                    self.finished = True
                    return got_frame
                self._input.add(self._source.frames_read - counted)
                counted = self._source.frames_read
                got_frame = True
                self._frame_arrived(frame)
                self._deliver(frame)
        except SourceError as error:
            if not self.live:
                logger.error("camera %s: %s", self.camera_id, error)
                self.failed = True
            self._lost(str(error))
        finally:
            self._source.close()
        return got_frame

    def _frame_arrived(self, frame: Frame) -> None:
        self._last_frame_at = time.monotonic()
        self._frame_size = (frame.width, frame.height)
        if self._online:
            return
        self._online = True
        if self._announced_offline_at is not None:
            offline_for_s = time.monotonic() - self._announced_offline_at
            self._announced_offline_at = None
            logger.warning("camera %s: back online after %.1f s", self.camera_id, offline_for_s)
            self._notify(ConnectionChange(True, "frames arrive again", offline_for_s))

    def _lost(self, reason: str) -> None:
        # A camera that never came up is announced offline too; files have no such events.
        self._online = False
        self._last_error = (reason, time.monotonic())
        if self.live and self._announced_offline_at is None:
            self._announced_offline_at = time.monotonic()
            logger.warning("camera %s: offline: %s", self.camera_id, reason)
            self._notify(ConnectionChange(False, reason))

    def _notify(self, change: ConnectionChange) -> None:
        if self._on_change is None:
            return
        change = ConnectionChange(
            change.online, change.reason, change.offline_for_s, self._frame_size
        )
        try:
            self._on_change(change)
        except Exception:  # a failing listener must not kill the camera's reader
            logger.exception("camera %s: connection listener failed", self.camera_id)

    def _deliver(self, frame: Frame) -> None:
        with self._condition:
            if not self._drop_stale:
                self._condition.wait_for(lambda: self._slot is None or self._stop.is_set())
            elif self._slot is not None:
                self._dropped_stale += 1
            self._slot = frame
            self._delivered += 1
            self._condition.notify_all()
