"""The running edge: one thread per camera and one for statistics, around a shared detector.

``run_edge`` is the composition root used by ``gridwatch edge run``.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from gridwatch_contract.messages import CameraStats, EdgeStatsMessage
from gridwatch_edge.config import EdgeConfig
from gridwatch_edge.detector import Detector, load_detector
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.pipeline import CameraPipeline
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.shared_detector import SharedDetector
from gridwatch_edge.sinks import AlertSink, StatsSink

logger = logging.getLogger(__name__)

# How long run_edge waits for the first broker connection before starting anyway; alerts
# raised meanwhile wait in the outbox.
CONNECT_WAIT_S = 5.0
# Camera threads finish their current frame (~15 ms) and close the stream well within this.
STOP_TIMEOUT_S = 10.0
# How often run_edge checks for the stop request and finished files.
POLL_INTERVAL_S = 0.5


class EdgeRuntime:
    """Cameras are built (and their URLs checked) here, started by ``start()``."""

    def __init__(
        self,
        config: EdgeConfig,
        *,
        detector: Detector,
        sink: AlertSink,
        stats_publisher: StatsSink | None = None,
    ) -> None:
        self._config = config
        self._detector = SharedDetector(detector)
        self._stats_publisher = stats_publisher
        self._pipelines = [
            CameraPipeline(
                camera,
                edge_id=config.edge_id,
                detector=self._detector,
                sink=sink,
                snapshot_max_bytes=config.snapshot_max_bytes,
                message_max_bytes=config.alert_payload_max_bytes,
            )
            for camera in config.cameras
        ]
        self._stop = threading.Event()
        self._camera_threads: list[threading.Thread] = []
        self._stats_thread: threading.Thread | None = None
        self._started_at = time.monotonic()

    def start(self) -> None:
        self._started_at = time.monotonic()
        for pipeline in self._pipelines:
            thread = threading.Thread(
                target=pipeline.run,
                args=(self._stop,),
                name=f"camera-{pipeline.camera.id}",
                daemon=True,
            )
            thread.start()
            self._camera_threads.append(thread)
        if self._stats_publisher is not None:
            self._stats_thread = threading.Thread(
                target=self._publish_stats_periodically, name="edge-stats", daemon=True
            )
            self._stats_thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """True once every camera's source finished (only files do); False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._camera_threads:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            thread.join(remaining)
        return all(pipeline.finished for pipeline in self._pipelines)

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        threads = [*self._camera_threads, *([self._stats_thread] if self._stats_thread else [])]
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
            if thread.is_alive():
                logger.warning("thread %s did not stop within %.0f s", thread.name, timeout)

    @property
    def failed_cameras(self) -> list[str]:
        return [pipeline.camera.id for pipeline in self._pipelines if pipeline.failed]

    def camera_stats(self) -> list[CameraStats]:
        return [pipeline.stats() for pipeline in self._pipelines]

    def stats_message(self) -> EdgeStatsMessage:
        return EdgeStatsMessage(
            edge_id=self._config.edge_id,
            at=datetime.now(UTC),
            uptime_s=time.monotonic() - self._started_at,
            cameras=self.camera_stats(),
            inference_ms_p50=self._detector.inference_ms_p50(),
        )

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
    try:
        publisher = MqttPublisher.for_edge(config, outbox)
        runtime = EdgeRuntime(config, detector=detector, sink=publisher, stats_publisher=publisher)
        publisher.start()
        try:
            if not publisher.wait_connected(CONNECT_WAIT_S):
                logger.warning("broker %s not reachable yet; retrying", config.broker.display())
            runtime.start()
            while not stop.is_set():
                if runtime.wait(POLL_INTERVAL_S):
                    logger.info("every source finished")
                    break
            runtime.stop()
            publisher.publish_stats(runtime.stats_message())
            if not publisher.drain(config.outbox.drain_timeout_s):
                logger.warning("%d alerts not yet acknowledged; sent at next start", outbox.depth())
        finally:
            runtime.stop()
            publisher.close()
    finally:
        outbox.close()
    return 1 if runtime.failed_cameras else 0
