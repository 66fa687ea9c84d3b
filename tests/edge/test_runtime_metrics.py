"""Prometheus /metrics of a running edge, scraped over real HTTP."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.metrics import EdgeMetrics
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink

WAIT_S = 30.0


def test_metrics_cover_cameras_detector_motion_and_outbox(
    vtest_clip: Path, yolox: Detector
) -> None:
    config = parse_edge_config(
        {
            "edge_id": "edge-metrics",
            "cameras": [{"id": "road", "url": str(vtest_clip), "analysis_fps": 5}],
        }
    )
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink())
    metrics = EdgeMetrics(runtime)
    metrics.set_outbox_depth(lambda: 7)
    port = metrics.serve("127.0.0.1", 0)
    runtime.start()
    try:
        (pipeline,) = runtime.pipelines()
        deadline = time.monotonic() + WAIT_S
        while pipeline.frames_analysed < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        runtime.stop()
        metrics.close()
    lines = {
        line.split(" ")[0]: line.split(" ")[1]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert float(lines['gridwatch_edge_camera_online{camera="road"}']) == 1.0
    assert lines['gridwatch_edge_camera_connection{camera="road",quality="good"}'] == "1.0"
    assert float(lines['gridwatch_edge_camera_frames_analysed_total{camera="road"}']) >= 5
    assert float(lines['gridwatch_edge_camera_input_fps{camera="road"}']) > 0
    assert 'gridwatch_edge_camera_motion_skip_ratio{camera="road"}' in lines
    assert 'gridwatch_edge_camera_reconnects_total{camera="road"}' in lines
    assert float(lines['gridwatch_edge_inference_ms{quantile="0.5"}']) > 0
    assert float(lines['gridwatch_edge_camera_frame_latency_p95_seconds{camera="road"}']) >= 0
    assert lines["gridwatch_edge_outbox_depth"] == "7.0"
