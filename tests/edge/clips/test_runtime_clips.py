"""Clips in the running edge: alerts announce their clip, the clip reaches the spool; a camera
whose codec cannot be remuxed says so once and keeps its snapshots."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import av
import pytest

from gridwatch_contract.messages import AlertState
from gridwatch_edge.clips.service import EdgeClips
from gridwatch_edge.config import EdgeConfig, parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink
from tests.central.helpers import wait_until
from tests.edge.clips.helpers import H264_CLIP

CROWD = {
    "type": "crowd",
    "id": "crowd",
    "zone": "everywhere",
    "min_persons": 2,
    "min_duration_s": 0.2,
    "update_interval_s": 30,
    "end_after_s": 1,
}
RUN_TIMEOUT_S = 120.0


def _config(clip: Path, spool: Path) -> EdgeConfig:
    camera: dict[str, Any] = {
        "id": "cam1",
        "url": str(clip),
        "realtime": False,
        "analysis_fps": 2,
        "zones": [{"id": "everywhere", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
        "rules": [CROWD],
    }
    return parse_edge_config(
        {
            "edge_id": "edge-clips",
            "cameras": [camera],
            "clips": {"pre_s": 2, "post_s": 3, "max_s": 10, "path": str(spool)},
        }
    )


def _run(config: EdgeConfig, yolox: Detector, until: Any) -> tuple[CollectingSink, EdgeClips]:
    assert config.clips is not None
    clips = EdgeClips(config.clips, sources=config.sources)
    sink = CollectingSink()
    runtime = EdgeRuntime(config, detector=yolox, sink=sink, clips=clips)
    clips.start()
    runtime.start()
    try:
        wait_until(lambda: until(sink, clips) or runtime.wait(0), timeout_s=RUN_TIMEOUT_S)
    finally:
        runtime.stop()
        clips.stop()
    return sink, clips


def test_alerts_announce_the_clip_that_reaches_the_spool(
    samples_dir: Path, yolox: Detector, tmp_path: Path
) -> None:
    config = _config(samples_dir / H264_CLIP, tmp_path / "spool")
    sink, clips = _run(config, yolox, lambda _sink, clips: clips.worker.filed >= 1)
    try:
        new = [a for a in sink.alerts if a.state is AlertState.NEW]
        assert new
        assert all(alert.clip_id is not None for alert in new)
        head = clips.spool.head()
        assert head is not None
        assert head.clip_id == new[0].clip_id  # the alert named it before it was cut
        assert head.info is not None
        path = tmp_path / "spool" / f"{head.clip_id}.mp4"
        with av.open(str(path)) as container:
            assert sum(1 for _ in container.decode(video=0)) > 0
    finally:
        clips.close()


def test_a_codec_that_cannot_be_remuxed_is_reported_once_and_snapshots_go_on(
    vtest_clip: Path, yolox: Detector, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(vtest_clip, tmp_path / "spool")  # MS-MPEG4 v3 in AVI: no MP4 for it
    with caplog.at_level(logging.WARNING, logger="gridwatch_edge.clips"):
        sink, clips = _run(config, yolox, lambda sink, _clips: len(sink.alerts) >= 3)
    try:
        assert len(sink.alerts) >= 3
        assert all(alert.clip_id is None for alert in sink.alerts)
        assert all(alert.snapshot is not None for alert in sink.alerts)
        reports = [r for r in caplog.records if "no clips" in r.getMessage()]
        assert len(reports) == 1
        assert "msmpeg4" in reports[0].getMessage()
        assert clips.spool.head() is None
    finally:
        clips.close()
