"""The running edge: one reader and one pipeline thread per camera around one shared detector.

``run_edge`` is the composition root used by ``gridwatch edge run``. Cameras can be replaced
while running (``replace_cameras``): only the cameras whose settings changed are restarted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2

from gridwatch_contract.messages import CameraStats, EdgeStatsMessage
from gridwatch_edge.clips.service import EdgeClips
from gridwatch_edge.config import CameraConfig, EdgeConfig
from gridwatch_edge.config_subscriber import ConfigSubscriber
from gridwatch_edge.detector import Detector, load_detector
from gridwatch_edge.metrics import EdgeMetrics
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.pipeline import CameraPipeline, MediaWindow
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.requests import RequestHandler
from gridwatch_edge.shared_detector import SharedDetector, usable_cores
from gridwatch_edge.sinks import AlertSink, StatsSink
from gridwatch_edge.sources.url import policy_guard

logger = logging.getLogger(__name__)

# How long run_edge waits for the first broker connection before starting anyway; alerts
# raised meanwhile wait in the outbox.
CONNECT_WAIT_S = 5.0
# Camera threads finish their current frame (~15 ms) and close the stream well within this.
STOP_TIMEOUT_S = 10.0
# How often run_edge checks for the stop request and finished files.
POLL_INTERVAL_S = 0.5
# OpenCV spreads each resize or colour conversion over all cores by default. The cameras'
# threads and one inference worker per core already keep every core busy, so that only adds
# hand-offs: on the 2-core box the motion gate's shrink took 0.54 ms with OpenCV's pool and
# 0.28 ms without, the detector's resize of the picture's planes 0.78 ms CPU against 0.42.
OPENCV_THREADS_PER_CALL = 1


@dataclass
class _RunningCamera:
    pipeline: CameraPipeline
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class EdgeRuntime:
    """Cameras are built (and their URLs checked) here, started by ``start()``."""

    def __init__(
        self,
        config: EdgeConfig,
        *,
        detector: Detector,
        sink: AlertSink,
        stats_publisher: StatsSink | None = None,
        media_window: MediaWindow | None = None,
        clips: EdgeClips | None = None,
    ) -> None:
        self._config = config
        self._media_window = media_window
        self._sink = sink
        self._clips = clips
        self._detector = SharedDetector(
            detector,
            max_batch=config.detector.max_batch,
            workers=config.detector.inference_workers or usable_cores(),
            scheduling=config.cpu_scheduling,
        )
        self._stats_publisher = stats_publisher
        self._lock = threading.Lock()  # guards _cameras against replace_cameras
        self._cameras = {camera.id: self._build(camera) for camera in config.cameras}
        self._started = False
        self._stop = threading.Event()
        # Set whenever the camera set changes, so that wait() on an empty box wakes up.
        self._cameras_changed = threading.Event()
        self._stats_thread: threading.Thread | None = None
        self._started_at = time.monotonic()
        self._opencv_threads_before: int | None = None

    @property
    def detector(self) -> SharedDetector:
        return self._detector

    @property
    def camera_configs(self) -> list[CameraConfig]:
        with self._lock:
            return [running.pipeline.camera for running in self._cameras.values()]

    def pipelines(self) -> list[CameraPipeline]:
        with self._lock:
            return [running.pipeline for running in self._cameras.values()]

    def live_camera(self, camera_id: str) -> CameraPipeline | None:
        """The running camera with this id (its online state and latest frame), if any."""
        with self._lock:
            running = self._cameras.get(camera_id)
            return None if running is None else running.pipeline

    def inference_ms_recent(self) -> list[float]:
        return self._detector.inference_ms_recent()

    def start(self) -> None:
        self._started_at = time.monotonic()
        # Process-wide, so it is undone by stop() for whatever else runs in this process.
        self._opencv_threads_before = cv2.getNumThreads()
        cv2.setNumThreads(OPENCV_THREADS_PER_CALL)
        self._detector.start()
        with self._lock:
            self._started = True
            for running in self._cameras.values():
                self._launch(running)
        if self._stats_publisher is not None:
            self._stats_thread = threading.Thread(
                target=self._publish_stats_periodically, name="edge-stats", daemon=True
            )
            self._stats_thread.start()

    def replace_cameras(self, cameras: Sequence[CameraConfig], *, remote: bool = False) -> None:
        """Run exactly ``cameras`` from now on: new ones start, removed ones stop, changed ones
        restart; a camera whose settings are unchanged keeps running untouched.

        Every new camera is built (URL checked, rules compiled) before anything is stopped,
        so a bad camera raises here and leaves the running set as it was. ``remote``: the
        cameras come from central, and their addresses are checked against the box's
        ``camera_url_policy`` before every connection.
        """
        with self._lock:
            wanted = {camera.id: camera for camera in cameras}
            changed = {
                camera_id: camera
                for camera_id, camera in wanted.items()
                if camera_id not in self._cameras
                or self._cameras[camera_id].pipeline.camera != camera
            }
            built = {
                camera_id: self._build(camera, remote=remote)
                for camera_id, camera in changed.items()
            }
            retired = [
                self._cameras.pop(camera_id)
                for camera_id in list(self._cameras)
                if camera_id not in wanted or camera_id in changed
            ]
            self._cameras.update(built)
            if self._started:
                for running in built.values():
                    self._launch(running)
            self._cameras_changed.set()
        self._retire(retired)
        logger.info(
            "cameras replaced: %d started or restarted, %d stopped, %d untouched",
            len(built),
            len(retired),
            len(wanted) - len(changed),
        )

    def wait(self, timeout: float | None = None) -> bool:
        """True once every camera's source finished (only files do); False on timeout.

        A box without cameras (waiting for central's config) never finishes: it waits until
        the timeout or until cameras arrive.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            if not self._cameras:
                self._cameras_changed.clear()
            threads = [r.thread for r in self._cameras.values() if r.thread is not None]
            empty = not self._cameras
        if empty:
            self._cameras_changed.wait(timeout)
            return False
        for thread in threads:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            thread.join(remaining)
        return all(pipeline.finished for pipeline in self.pipelines())

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        self._stop.set()
        with self._lock:
            running = list(self._cameras.values())
        self._retire(running, timeout)
        if self._stats_thread is not None:
            self._stats_thread.join(timeout)
        self._detector.close()
        if self._opencv_threads_before is not None:
            cv2.setNumThreads(self._opencv_threads_before)
            self._opencv_threads_before = None

    @property
    def failed_cameras(self) -> list[str]:
        return [pipeline.camera.id for pipeline in self.pipelines() if pipeline.failed]

    def camera_stats(self) -> list[CameraStats]:
        return [pipeline.stats() for pipeline in self.pipelines()]

    def stats_message(self) -> EdgeStatsMessage:
        return EdgeStatsMessage(
            edge_id=self._config.edge_id,
            at=datetime.now(UTC),
            uptime_s=time.monotonic() - self._started_at,
            cameras=self.camera_stats(),
            inference_ms_p50=self._detector.inference_ms_p50(),
            stats_interval_s=self._config.stats_interval_s,
            model=self._detector.model_info,
        )

    def _build(self, camera: CameraConfig, *, remote: bool = False) -> _RunningCamera:
        guard = policy_guard(self._config.camera_url_policy) if remote else None
        return _RunningCamera(
            CameraPipeline(
                camera,
                edge_id=self._config.edge_id,
                detector=self._detector,
                sink=self._sink,
                snapshot_max_bytes=self._config.snapshot_max_bytes,
                message_max_bytes=self._config.alert_payload_max_bytes,
                sources=self._config.sources,
                motion=self._config.motion,
                scheduling=self._config.cpu_scheduling,
                window=self._media_window,
                clips=self._clips.for_camera(camera, guard) if self._clips is not None else None,
                url_guard=guard,
            )
        )

    def _launch(self, running: _RunningCamera) -> None:
        running.thread = threading.Thread(
            target=running.pipeline.run,
            args=(running.stop,),
            name=f"camera-{running.pipeline.camera.id}",
            daemon=True,
        )
        running.thread.start()

    @staticmethod
    def _retire(cameras: list[_RunningCamera], timeout: float = STOP_TIMEOUT_S) -> None:
        for running in cameras:
            running.stop.set()
        deadline = time.monotonic() + timeout
        for running in cameras:
            if running.thread is None:
                continue
            running.thread.join(max(deadline - time.monotonic(), 0.0))
            if running.thread.is_alive():
                logger.warning("thread %s did not stop within %.0f s", running.thread.name, timeout)

    def _publish_stats_periodically(self) -> None:
        assert self._stats_publisher is not None  # only started with a publisher
        while not self._stop.wait(self._config.stats_interval_s):
            self._stats_publisher.publish_stats(self.stats_message())


def run_edge(
    config: EdgeConfig, *, models_dir: Path, manifest_dirs: list[Path], stop: threading.Event
) -> int:
    """Run the edge until ``stop`` is set or every (file) source ended.

    Raises ``EdgeError`` (``ModelError``, ``SourceError``, ``OutboxError``) for problems found
    before starting. Returns 0, or 1 when a camera failed for good (a file that cannot be
    decoded). Alerts still unacknowledged at the end stay in the outbox for the next start.
    """
    detector = load_detector(config.detector, models_dir=models_dir, manifest_dirs=manifest_dirs)
    outbox = open_outbox(config.outbox)
    clips = None
    try:
        publisher = MqttPublisher.for_edge(config, outbox)
        clips = clips_for_edge(config, publisher)
        if clips is not None:
            clips.start()
        runtime = EdgeRuntime(
            config, detector=detector, sink=publisher, stats_publisher=publisher, clips=clips
        )
        metrics = EdgeMetrics(runtime)
        metrics.set_outbox_depth(outbox.depth)
        if clips is not None:
            metrics.set_clip_spool(clips.spool.counts)
        subscriber = ConfigSubscriber(
            config.broker,
            config.edge_id,
            runtime,
            allow_file_sources=config.allow_file_sources_from_central,
            url_policy=config.camera_url_policy,
            on_report=publisher.report_config,
        )
        requests = RequestHandler.for_edge(config, runtime) if config.remote_requests else None
        publisher.start()
        if requests is not None:
            requests.start()
        try:
            _run_until_done(
                config,
                runtime,
                publisher=publisher,
                metrics=metrics,
                subscriber=subscriber,
                stop=stop,
            )
            if not publisher.drain(config.outbox.drain_timeout_s):
                logger.warning("%d alerts not yet acknowledged; sent at next start", outbox.depth())
            _drain_clips(clips, config.outbox.drain_timeout_s)
        finally:
            if requests is not None:
                requests.close()
            subscriber.close()
            runtime.stop()
            if clips is not None:
                clips.stop()
            metrics.close()
            publisher.close()
    finally:
        if clips is not None:
            clips.close()
        outbox.close()
    return 1 if runtime.failed_cameras else 0


def clips_for_edge(config: EdgeConfig, publisher: MqttPublisher) -> EdgeClips | None:
    """The box's clips (None when ``clips`` is off), sent over ``publisher``'s connection;
    call before the publisher starts, start them before the runtime."""
    if config.clips is None or not config.clips.enabled:
        return None
    clips = EdgeClips(config.clips, sources=config.sources, scheduling=config.cpu_scheduling)
    sender = clips.connect(
        publisher,
        topics=config.broker.topics,
        edge_id=config.edge_id,
        max_payload_bytes=config.alert_payload_max_bytes,
    )
    publisher.attach(sender)
    return clips


def _drain_clips(clips: EdgeClips | None, timeout_s: float) -> None:
    """The cameras are stopped by now: file their last clips, then give central the time."""
    if clips is None:
        return
    clips.stop()
    if not clips.drain(timeout_s):
        logger.warning(
            "%d clips not yet stored by central; sent at next start", clips.spool.depth()
        )


def _run_until_done(
    config: EdgeConfig,
    runtime: EdgeRuntime,
    *,
    publisher: MqttPublisher,
    metrics: EdgeMetrics,
    subscriber: ConfigSubscriber,
    stop: threading.Event,
) -> None:
    """Start everything, then wait for a stop request or for every file to end."""
    if not publisher.wait_connected(CONNECT_WAIT_S):
        logger.warning("broker %s not reachable yet; retrying", config.broker.display())
    if config.metrics is not None:
        metrics.serve(config.metrics.host, config.metrics.port)
    runtime.start()
    if config.remote_config:
        subscriber.start()
    if not config.cameras:
        logger.warning(
            "no cameras configured: waiting for central's config on %s",
            config.broker.topics.edge_config(config.edge_id),
        )
    while not stop.is_set():
        if runtime.wait(POLL_INTERVAL_S):
            logger.info("every source finished")
            break
    runtime.stop()
    publisher.publish_stats(runtime.stats_message())
