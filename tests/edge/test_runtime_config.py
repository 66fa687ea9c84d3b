"""Cameras replaced at run time from the retained config topic of the real broker: the
changed camera restarts, the other keeps running; bad documents change nothing and say why."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gridwatch_contract import EdgeConfigMessage, encode_message
from gridwatch_contract.broker import BrokerConfig, make_client
from gridwatch_edge.config import ConfigError, parse_camera_configs, parse_edge_config
from gridwatch_edge.config_subscriber import ConfigSubscriber
from gridwatch_edge.detector import Detector
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink

APPLY_WAIT_S = 30.0
EDGE_ID = "edge-config"


def _camera(camera_id: str, clip: Path, **extra: Any) -> dict[str, Any]:
    return {"id": camera_id, "url": str(clip), "analysis_fps": 2, "realtime": True, **extra}


def _publish(broker: BrokerConfig, message: EdgeConfigMessage | bytes) -> None:
    client = make_client(broker, client_id=f"test-config-{time.monotonic_ns()}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        payload = message if isinstance(message, bytes) else encode_message(message)
        info = client.publish(broker.topics.edge_config(EDGE_ID), payload, qos=1, retain=True)
        info.wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()


def _clear(broker: BrokerConfig) -> None:
    _publish(broker, b"")


def _message(revision: int, cameras: list[dict[str, Any]]) -> EdgeConfigMessage:
    return EdgeConfigMessage(
        edge_id=EDGE_ID, revision=revision, issued_at=datetime.now(UTC), cameras=cameras
    )


def test_replaces_one_camera_while_the_other_keeps_running(
    broker: BrokerConfig, vtest_clip: Path, yolox: Detector
) -> None:
    cameras = [_camera("north", vtest_clip), _camera("south", vtest_clip)]
    config = parse_edge_config(
        {"edge_id": EDGE_ID, "broker": broker.model_dump(mode="json"), "cameras": cameras}
    )
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink())
    # The test's cameras replay a clip: this box lets central name files.
    subscriber = ConfigSubscriber(broker, EDGE_ID, runtime, allow_file_sources=True)
    runtime.start()
    subscriber.start()
    try:
        north, south = runtime.pipelines()
        _wait(lambda: north.frames_analysed >= 2 and south.frames_analysed >= 2)
        zone = {"id": "road", "polygon": [[0, 0], [1, 0], [1, 1]]}
        changed_south = _camera("south", vtest_clip, analysis_fps=1, zones=[zone])
        _publish(broker, _message(1, [cameras[0], changed_south]))
        assert subscriber.wait_for(revision=1, timeout_s=APPLY_WAIT_S), subscriber.last_error
        north_after, south_after = runtime.pipelines()
        assert north_after is north  # untouched: same pipeline, still counting
        assert south_after is not south
        assert south_after.camera.analysis_fps == 1
        analysed = north.frames_analysed
        _wait(lambda: north.frames_analysed > analysed and south_after.frames_analysed >= 1)
        assert south.finished is False
        assert not south.reader.status().online

        # Bad documents: nothing changes and the error names the key and the problem.
        bad_zone = {"id": "sky", "polygon": [[0, 0], [1.5, 0], [1, 1]]}
        _publish(broker, _message(2, [cameras[0], _camera("south", vtest_clip, zones=[bad_zone])]))
        assert subscriber.wait_for(rejected=1, timeout_s=APPLY_WAIT_S)
        assert subscriber.last_error is not None
        assert "camera south: zones.0: polygon point 1 [1.5, 0.0]" in subscriber.last_error
        assert "outside the relative range" in subscriber.last_error
        _publish(broker, _message(3, [{**cameras[0], "fps": 5}]))
        assert subscriber.wait_for(rejected=2, timeout_s=APPLY_WAIT_S)
        assert "camera north: fps: unknown key" in (subscriber.last_error or "")
        _publish(broker, b'{"schema_version": 2}')
        assert subscriber.wait_for(rejected=3, timeout_s=APPLY_WAIT_S)
        assert runtime.pipelines() == [north, south_after]
        assert subscriber.revision == 1
    finally:
        subscriber.close()
        runtime.stop()
        _clear(broker)


def test_removing_and_adding_cameras(vtest_clip: Path, yolox: Detector) -> None:
    config = parse_edge_config({"edge_id": EDGE_ID, "cameras": [_camera("a", vtest_clip)]})
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink())
    runtime.start()
    try:
        (first,) = runtime.pipelines()
        runtime.replace_cameras(parse_camera_configs([_camera("b", vtest_clip)], source="test"))
        (second,) = runtime.pipelines()
        assert second.camera.id == "b"
        _wait(lambda: second.frames_analysed >= 1)
        assert not first.reader.status().online
    finally:
        runtime.stop()


@pytest.mark.parametrize(
    ("cameras", "expected"),
    [
        ("not a list", "expected a list of cameras"),
        (
            [{"id": "a", "url": "x.avi", "analysis_fps": 0}],
            "cameras.0.analysis_fps: Input should be greater than 0",
        ),
        ([{"id": "a", "url": "x.avi"}, {"id": "a", "url": "y.avi"}], "duplicate camera id(s): a"),
        (
            [{"id": "a", "url": "x", "motion": {"pixel_threshold": 300}}],
            "cameras.0.motion.pixel_threshold: Input should be less than or equal to 254",
        ),
    ],
)
def test_bad_camera_lists_name_key_and_problem(cameras: object, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_camera_configs(cameras, source="edges/e1/config")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("edges/e1/config")


def _wait(condition: Any, timeout_s: float = APPLY_WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")
