"""A real RTSP camera stopped and started again: the reader reconnects and the edge publishes
``camera_offline`` then ``camera_online`` over the real broker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gridwatch_contract import EventType, decode_alert
from gridwatch_contract.broker import BrokerConfig
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sources.status import ConnectionQuality
from tests.edge.mqtt_helpers import Subscriber
from tests.edge.sources.rtsp_server import RtspServer

# Generous bounds for a loaded 2-core box; these are deadlines to give up, not timings.
EVENT_WAIT_S = 60.0


def _wait_until(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.rtsp
# The real central acknowledges each camera event, so the outbox lets the next one go.
@pytest.mark.usefixtures("central_runtime")
def test_camera_reconnects_and_reports_offline_then_online(
    samples_dir: Path,
    broker: BrokerConfig,
    yolox: Detector,
    tmp_path: Path,
) -> None:
    server = RtspServer(samples_dir / "vtest_h264.mp4")
    url = server.start()
    config = parse_edge_config(
        {
            "edge_id": "edge-reconnect",
            "broker": broker.model_dump(mode="json"),
            "sources": {"stall_timeout_s": 2, "reconnect_min_s": 0.5, "reconnect_max_s": 2},
            "cameras": [{"id": "gate", "url": url, "analysis_fps": 2}],
        }
    )
    subscriber = Subscriber(broker, broker.topics.all_alerts())
    outbox = open_outbox(config.outbox.model_copy(update={"path": tmp_path / "outbox.db"}))
    publisher = MqttPublisher.for_edge(config, outbox)
    publisher.start()
    runtime = EdgeRuntime(config, detector=yolox, sink=publisher)
    runtime.start()
    (pipeline,) = runtime.pipelines()
    try:
        assert _wait_until(lambda: pipeline.frames_analysed >= 2, EVENT_WAIT_S)
        server.stop()
        assert _wait_until(lambda: _types(subscriber) == [EventType.CAMERA_OFFLINE], EVENT_WAIT_S)
        assert pipeline.reader.status().quality is ConnectionQuality.OFFLINE
        analysed_while_down = pipeline.frames_analysed
        server.start()
        assert _wait_until(
            lambda: _types(subscriber) == [EventType.CAMERA_OFFLINE, EventType.CAMERA_ONLINE],
            EVENT_WAIT_S,
        ), _types(subscriber)
        assert _wait_until(lambda: pipeline.frames_analysed > analysed_while_down, EVENT_WAIT_S)
        stats = pipeline.stats()
        assert stats.reconnects_last_hour >= 1
        assert stats.connection == "degraded"  # back, but it reconnected within the hour
    finally:
        runtime.stop()
        publisher.close()
        outbox.close()
        subscriber.close()
        server.stop()
    offline, online = (decode_alert(bytes(m.payload)) for m in subscriber.messages)
    assert (offline.camera_id, online.camera_id) == ("gate", "gate")
    assert offline.snapshot is None
    assert offline.objects == []
    assert online.measurements["offline_s"] > 0


def _types(subscriber: Subscriber) -> list[EventType]:
    return [decode_alert(bytes(m.payload)).event_type for m in subscriber.wait_for(0, 0)]
