"""A camera's ``record_url`` (its main stream), demuxed only, into the camera's recorder.

As NVRs do, detection decodes the cheap sub-stream while evidence comes from the main stream.
Nothing of the main stream is decoded: this thread reads packets and hands them to the
recorder, which is a socket read and a copy per packet. It reconnects like the camera's
reader (same timeouts and back-off) and reports losses in the log; the detection stream and
its alerts do not depend on it.
"""

from __future__ import annotations

import logging
import threading

import av

from gridwatch_contract.broker import redact_url
from gridwatch_edge.config import SourceSettings
from gridwatch_edge.errors import SourceError
from gridwatch_edge.scheduling import CpuScheduling, schedule_this_thread
from gridwatch_edge.sources.decoding import PacketTap
from gridwatch_edge.sources.pyav_stream import open_container
from gridwatch_edge.sources.url import SourceKind, UrlGuard, check_source_url

logger = logging.getLogger(__name__)


class RecordStream:
    def __init__(
        self,
        camera_id: str,
        url: str,
        tap: PacketTap,
        *,
        settings: SourceSettings,
        scheduling: CpuScheduling = "normal",
        url_guard: UrlGuard | None = None,
    ) -> None:
        self._url_guard = url_guard
        if check_source_url(url) is not SourceKind.LIVE:
            raise SourceError(f"camera {camera_id}: record_url must be an rtsp:// stream")
        self.camera_id = camera_id
        self._url = url
        self._tap = tap
        self._settings = settings
        self._scheduling = scheduling
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"record-{camera_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        schedule_this_thread(self._scheduling, niceness=self._settings.reader_niceness)
        delay_s = self._settings.reconnect_min_s
        while not self._stop.is_set():
            if self._read_until_lost():
                delay_s = self._settings.reconnect_min_s
            if self._stop.wait(delay_s):
                return
            delay_s = min(delay_s * 2, self._settings.reconnect_max_s)

    def _read_until_lost(self) -> bool:
        """Demux until the stream fails or stop is asked; True if packets arrived."""
        name = redact_url(self._url)
        try:
            url = self._url if self._url_guard is None else self._url_guard(self._url)
            container = open_container(
                url,
                SourceKind.LIVE,
                open_timeout_s=self._settings.open_timeout_s,
                read_timeout_s=self._settings.stall_timeout_s,
            )
        except SourceError as error:
            logger.warning("camera %s: record stream: %s", self.camera_id, error)
            return False
        got_packets = False
        try:
            if not container.streams.video:
                logger.warning("camera %s: record stream %s has no video", self.camera_id, name)
                return False
            stream = container.streams.video[0]
            self._tap.opened(stream)
            try:
                for packet in container.demux(stream):
                    if self._stop.is_set():
                        break
                    if packet.size:
                        got_packets = True
                        self._tap.packet(packet)
            except av.FFmpegError as error:
                reason = error.strerror or type(error).__name__
                logger.warning(
                    "camera %s: record stream %s lost (%s)", self.camera_id, name, reason
                )
            finally:
                self._tap.closed()
        finally:
            container.close()
        return got_packets
