"""What /metrics says about clips: each camera's ring, the camera that records none and why,
and the spool."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from gridwatch_edge.clips.service import EdgeClips
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.metrics import EdgeMetrics
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink
from tests.edge.clips.helpers import H264_CLIP

WAIT_S = 30.0


def test_metrics_show_ring_memory_the_unremuxable_camera_and_the_spool(
    samples_dir: Path, vtest_clip: Path, yolox: Detector, tmp_path: Path
) -> None:
    config = parse_edge_config(
        {
            "edge_id": "edge-clip-metrics",
            "cameras": [
                {"id": "h264", "url": str(samples_dir / H264_CLIP), "analysis_fps": 1},
                {"id": "avi", "url": str(vtest_clip), "analysis_fps": 1},
            ],
            "clips": {"pre_s": 2, "path": str(tmp_path / "clips")},
        }
    )
    assert config.clips is not None
    clips = EdgeClips(config.clips, sources=config.sources)
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink(), clips=clips)
    metrics = EdgeMetrics(runtime)
    metrics.set_clip_spool(clips.spool.counts)
    port = metrics.serve("127.0.0.1", 0)
    clips.start()
    runtime.start()
    try:
        h264 = next(p for p in runtime.pipelines() if p.camera.id == "h264")
        assert h264.clips is not None
        deadline = time.monotonic() + WAIT_S
        while h264.clips.usage().seconds < 2.0 and time.monotonic() < deadline:
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        runtime.stop()
        clips.stop()
        metrics.close()
        clips.close()
    lines = {
        line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert float(lines['gridwatch_edge_camera_clip_ring_bytes{camera="h264"}']) > 100_000
    assert float(lines['gridwatch_edge_camera_clip_ring_bytes{camera="avi"}']) == 0
    (problem,) = [key for key in lines if key.startswith("gridwatch_edge_camera_clips_unavailable")]
    assert 'camera="avi"' in problem
    assert "msmpeg4" in problem
    assert lines['gridwatch_edge_clips_pending{kind="clip"}'] == "0.0"
    assert lines["gridwatch_edge_clips_pending_bytes"] == "0.0"
