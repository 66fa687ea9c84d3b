"""Prometheus ``/metrics`` of one edge box.

Everything is read at scrape time from the running pipelines (a custom collector), so the
hot path only bumps plain counters, and one ``CollectorRegistry`` per runtime keeps tests and
several runtimes in one process apart (no global registry).

The outbox belongs to another module: it feeds its depth through ``set_outbox_depth``
(a callable returning the current number of queued alerts).
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from gridwatch_edge.clips.spool import SpoolCounts
from gridwatch_edge.pipeline import CameraPipeline

logger = logging.getLogger(__name__)

PREFIX = "gridwatch_edge"


class MetricsSource(Protocol):
    def pipelines(self) -> Sequence[CameraPipeline]: ...

    def inference_ms_recent(self) -> list[float]: ...


class _EdgeCollector(Collector):
    def __init__(self, source: MetricsSource) -> None:
        self._source = source
        self.outbox_depth: Callable[[], int] | None = None
        self.clip_spool: Callable[[], SpoolCounts] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        pipelines = list(self._source.pipelines())
        families = _camera_families()
        for pipeline in pipelines:
            _add_camera(families, pipeline)
        yield from families.values()
        yield from self._detector_families()
        if self.outbox_depth is not None:
            depth = GaugeMetricFamily(f"{PREFIX}_outbox_depth", "Alerts waiting for an ack.")
            depth.add_metric([], float(self.outbox_depth()))
            yield depth
        if self.clip_spool is not None:
            yield from _spool_families(self.clip_spool())

    def _detector_families(self) -> Iterator[GaugeMetricFamily]:
        durations = sorted(self._source.inference_ms_recent())
        family = GaugeMetricFamily(
            f"{PREFIX}_inference_ms",
            "Inference time per frame over the last 256 frames (letterbox, model, NMS).",
            labels=["quantile"],
        )
        if durations:
            family.add_metric(["0.5"], statistics.median(durations))
            family.add_metric(
                ["0.95"], durations[min(len(durations) - 1, int(0.95 * len(durations)))]
            )
        yield family


def _spool_families(counts: SpoolCounts) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    pending = GaugeMetricFamily(
        f"{PREFIX}_clips_pending", "Clips (and notices) waiting for central.", labels=["kind"]
    )
    pending.add_metric(["clip"], counts.pending_clips)
    pending.add_metric(["notice"], counts.pending_notices)
    yield pending
    size = GaugeMetricFamily(f"{PREFIX}_clips_pending_bytes", "Disk held by waiting clips.")
    size.add_metric([], counts.pending_bytes)
    yield size
    dropped = CounterMetricFamily(
        f"{PREFIX}_clips_dropped", "Clips given up since start (central told).", labels=["reason"]
    )
    for reason, count in counts.dropped.items():
        dropped.add_metric([reason], count)
    yield dropped


def _camera_families() -> dict[str, GaugeMetricFamily | CounterMetricFamily]:
    gauge, counter = GaugeMetricFamily, CounterMetricFamily
    labels = ["camera"]
    return {
        "online": gauge(f"{PREFIX}_camera_online", "1 while frames arrive.", labels=labels),
        "quality": gauge(
            f"{PREFIX}_camera_connection",
            "1 for the camera's current connection quality.",
            labels=["camera", "quality"],
        ),
        "input_fps": gauge(f"{PREFIX}_camera_input_fps", "Frames/s decoded.", labels=labels),
        "analysed_fps": gauge(
            f"{PREFIX}_camera_analysed_fps", "Frames/s through the rules.", labels=labels
        ),
        "read": counter(f"{PREFIX}_camera_frames_read", "Frames grabbed.", labels=labels),
        "analysed": counter(f"{PREFIX}_camera_frames_analysed", "Frames analysed.", labels=labels),
        "skipped": counter(
            f"{PREFIX}_camera_frames_skipped",
            "Frames grabbed but not analysed (analysis rate, stale frames).",
            labels=labels,
        ),
        "motion_skipped": counter(
            f"{PREFIX}_camera_motion_skipped",
            "Analysed frames the motion gate kept from the detector.",
            labels=labels,
        ),
        "motion_ratio": gauge(
            f"{PREFIX}_camera_motion_skip_ratio",
            "Share of analysed frames the motion gate skipped.",
            labels=labels,
        ),
        "reconnects": counter(f"{PREFIX}_camera_reconnects", "Reopened streams.", labels=labels),
        "reconnects_hour": gauge(
            f"{PREFIX}_camera_reconnects_last_hour", "Reconnects in the last hour.", labels=labels
        ),
        "latency": gauge(
            f"{PREFIX}_camera_frame_latency_p95_seconds",
            "p95 of frame arrival to the end of its rules.",
            labels=labels,
        ),
        "alerts": counter(f"{PREFIX}_camera_alerts", "Alerts raised.", labels=labels),
        "clip_ring": gauge(
            f"{PREFIX}_camera_clip_ring_bytes",
            "Packet payload the camera's clip ring holds (pre-roll plus up to one GOP).",
            labels=labels,
        ),
        "clip_problem": gauge(
            f"{PREFIX}_camera_clips_unavailable",
            "1 while the camera records no clips (e.g. a codec an MP4 cannot carry).",
            labels=["camera", "reason"],
        ),
    }


def _add_camera(
    families: dict[str, GaugeMetricFamily | CounterMetricFamily], pipeline: CameraPipeline
) -> None:
    camera = [pipeline.camera.id]
    stats = pipeline.stats()
    status = pipeline.reader.status()
    gate = pipeline.motion_gate
    latencies = sorted(pipeline.latencies_s())
    families["online"].add_metric(camera, 1.0 if stats.online else 0.0)
    families["quality"].add_metric([*camera, status.quality.value], 1.0)
    families["input_fps"].add_metric(camera, stats.input_fps)
    families["analysed_fps"].add_metric(camera, stats.analysed_fps)
    families["read"].add_metric(camera, stats.frames_read)
    families["analysed"].add_metric(camera, stats.frames_analysed)
    families["skipped"].add_metric(camera, stats.frames_skipped)
    families["motion_skipped"].add_metric(camera, stats.frames_motion_skipped)
    families["motion_ratio"].add_metric(camera, gate.skip_ratio if gate else 0.0)
    families["reconnects"].add_metric(camera, status.reconnects_total)
    families["reconnects_hour"].add_metric(camera, stats.reconnects_last_hour)
    if latencies:
        families["latency"].add_metric(camera, latencies[int(0.95 * (len(latencies) - 1))])
    families["alerts"].add_metric(camera, stats.alerts)
    clips = pipeline.clips
    if clips is not None:
        families["clip_ring"].add_metric(camera, clips.usage().data_bytes)
        if clips.problem is not None:
            families["clip_problem"].add_metric([*camera, clips.problem], 1.0)


class EdgeMetrics:
    """The registry of one runtime, and its HTTP server once ``serve`` was called."""

    def __init__(self, source: MetricsSource) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._collector = _EdgeCollector(source)
        self.registry.register(self._collector)
        self._server: WSGIServer | None = None

    def set_outbox_depth(self, depth: Callable[[], int]) -> None:
        """The outbox's hook: ``depth()`` is called at every scrape."""
        self._collector.outbox_depth = depth

    def set_clip_spool(self, counts: Callable[[], SpoolCounts]) -> None:
        """The clip spool's hook: ``counts()`` is called at every scrape."""
        self._collector.clip_spool = counts

    def serve(self, host: str, port: int) -> int:
        """Serve ``/metrics`` on ``host:port`` (0 = a free port); returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        bound: int = server.server_port
        logger.info("metrics on http://%s:%d/metrics", host, bound)
        return bound

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
