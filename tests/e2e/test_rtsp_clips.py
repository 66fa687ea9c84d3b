"""Evidence clips from real RTSP cameras, as an NVR-style deployment runs them.

Two GStreamer RTSP cameras on loopback: detection reads the 768x576 stream (``url``), the
clips come from the 1280x720 one (``record_url``), demuxed only. Each line crossing opens an
event; its clip travels through the real broker to the real central, which stores it and
serves it; FFmpeg decodes it end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from sqlalchemy import select

from gridwatch_central.db.tables import ClipRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.runtime import EdgeRuntime, clips_for_edge
from tests.central.helpers import DEMO_POINT, wait_until
from tests.edge.clips.helpers import LINE_RULES
from tests.edge.sources.rtsp_server import RtspServer

PRE_S, POST_S = 2.0, 3.0
GOP_S = 2.0  # the 720p stream's keyframe interval
CLIP_TIMEOUT_S = 90.0


@pytest.fixture
def cameras(samples_dir: Path) -> Iterator[tuple[str, str]]:
    """(sub-stream, main stream) URLs of two real RTSP cameras."""
    sub = RtspServer(samples_dir / "vtest_h264.mp4", mount="/sub")
    main = RtspServer(samples_dir / "vtest_720p25.mp4", mount="/main")
    try:
        yield sub.start(), main.start()
    finally:
        sub.stop()
        main.stop()


@pytest.mark.rtsp
def test_a_clip_from_the_main_stream_reaches_central_and_plays(
    cameras: tuple[str, str],
    broker: BrokerConfig,
    central_runtime: CentralRuntime,
    yolox: Detector,
    tmp_path: Path,
) -> None:
    sub_url, main_url = cameras
    config = parse_edge_config(
        {
            "edge_id": "edge-rtsp",
            "broker": broker.model_dump(mode="json"),
            "cameras": [
                {
                    "id": "cam1",
                    "url": sub_url,
                    "record_url": main_url,
                    "analysis_fps": 2,
                    "location": DEMO_POINT.model_dump(),
                    "rules": LINE_RULES,
                }
            ],
            "outbox": {"path": str(tmp_path / "outbox.db")},
            "clips": {"pre_s": PRE_S, "post_s": POST_S, "path": str(tmp_path / "clips")},
        }
    )
    outbox = open_outbox(config.outbox)
    publisher = MqttPublisher.for_edge(config, outbox)
    clips = clips_for_edge(config, publisher)
    assert clips is not None
    edge = EdgeRuntime(config, detector=yolox, sink=publisher, clips=clips)

    def stored() -> list[ClipRow]:
        with central_runtime.sessions() as session:
            return list(session.scalars(select(ClipRow).where(ClipRow.status == "stored")))

    try:
        clips.start()
        publisher.start()
        edge.start()
        wait_until(lambda: bool(stored()), timeout_s=CLIP_TIMEOUT_S)
    finally:
        edge.stop()
        clips.stop()
        publisher.close()
        clips.close()
        outbox.close()
    row = stored()[0]
    assert (row.codec, row.width, row.height) == ("h264", 1280, 720)  # the main stream's
    assert row.path is not None
    assert row.starts_at is not None
    assert row.ends_at is not None
    assert row.event_at is not None
    assert (row.ends_at - row.event_at).total_seconds() >= POST_S - 0.5
    assert (row.ends_at - row.starts_at).total_seconds() <= PRE_S + POST_S + GOP_S + 1.0
    with av.open(str(central_runtime.clips.path_of(row.path))) as container:
        pictures = sum(1 for _ in container.decode(video=0))
    assert pictures >= POST_S * 25 * 0.8  # 25 fps, a few frames' slack for RTP timing
