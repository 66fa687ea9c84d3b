"""The box's clip machinery, composed once: the spool, the worker, the sender, the recorders."""

from __future__ import annotations

import logging

from gridwatch_contract.topics import Topics
from gridwatch_edge.clips.camera import CameraClips
from gridwatch_edge.clips.config import ClipsConfig
from gridwatch_edge.clips.record_stream import RecordStream
from gridwatch_edge.clips.recorder import CameraClipRecorder
from gridwatch_edge.clips.sender import ClipSender, MqttLink
from gridwatch_edge.clips.spool import ClipSpool
from gridwatch_edge.clips.worker import ClipWorker
from gridwatch_edge.config import CameraConfig, SourceSettings
from gridwatch_edge.outbox import ResendPolicy
from gridwatch_edge.scheduling import CpuScheduling
from gridwatch_edge.sources.url import SourceKind, UrlGuard, check_source_url

logger = logging.getLogger(__name__)


class EdgeClips:
    def __init__(
        self,
        config: ClipsConfig,
        *,
        sources: SourceSettings,
        scheduling: CpuScheduling = "normal",
    ) -> None:
        self.config = config
        self._sources = sources
        self._scheduling = scheduling
        self.spool = ClipSpool(config)
        self.sender: ClipSender | None = None
        self.worker = ClipWorker(self.spool, on_filed=self._filed, scheduling=scheduling)

    def connect(
        self, link: MqttLink, *, topics: Topics, edge_id: str, max_payload_bytes: int
    ) -> ClipSender:
        """The sender over ``link``; attach it to the publisher before the publisher starts."""
        self.sender = ClipSender(
            self.spool,
            link,
            topics=topics,
            edge_id=edge_id,
            max_payload_bytes=max_payload_bytes,
            policy=ResendPolicy(self.config.ack_timeout_s, self.config.max_resend_interval_s),
        )
        return self.sender

    def for_camera(self, camera: CameraConfig, url_guard: UrlGuard | None = None) -> CameraClips:
        """The camera's recorder (its ``record_url`` stream if it has one); not started.
        ``url_guard`` checks the record stream's address before each connection."""
        source = camera.record_url or camera.url
        recorder = CameraClipRecorder(
            camera.id,
            self.config,
            live=check_source_url(source) is SourceKind.LIVE,
            realtime=camera.realtime,
            deliver=self.worker.deliver,
            announce=self.spool.announce,
        )
        if camera.record_url is not None:
            stream = RecordStream(
                camera.id,
                camera.record_url,
                recorder,
                settings=self._sources,
                scheduling=self._scheduling,
                url_guard=url_guard,
            )
            return CameraClips(recorder, record_stream=stream)
        problem = None
        if self._sources.backend != "pyav":
            problem = "the opencv backend hides the stream's packets (use pyav or a record_url)"
            logger.warning("camera %s: no clips: %s", camera.id, problem)
        return CameraClips(recorder, problem=problem)

    def start(self) -> None:
        self.worker.start()
        if self.sender is not None:
            self.sender.start()

    def stop(self) -> None:
        """Mux and file the clips already cut; the cameras must be stopped first."""
        self.worker.stop()

    def drain(self, timeout_s: float) -> bool:
        """Wait until central has every filed clip; False if some are left for next time."""
        return self.sender.drain(timeout_s) if self.sender is not None else False

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()
        self.spool.close()

    def _filed(self) -> None:
        if self.sender is not None:
            self.sender.wake()
