"""Central's request client against a real edge on the real broker: the sample clip decoded,
analysed by the real detector, and its latest frame sent back as a JPEG on request."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gridwatch_central.edge_requests import (
    SnapshotFailed,
    SnapshotFailure,
    SnapshotOk,
    SnapshotResult,
)
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import encode_framed, encode_message
from gridwatch_contract.messages import EdgeAvailability, EdgeStatusMessage
from gridwatch_edge.detector import Detector
from tests.central.helpers import wait_until
from tests.contract.factories import make_edge_response
from tests.edge.mqtt_helpers import Subscriber
from tests.edge.requests.live_edge import (
    clip_camera,
    decoded,
    edge_config,
    live_edge,
    request_client,
    short_clip,
    wait_for_frames,
)

# Long enough for a loaded box to answer; a live edge answers far sooner.
ANSWER_TIMEOUT_S = 20.0


def _edge_id() -> str:
    return f"edge-{uuid.uuid4().hex[:8]}"


def _ok(result: SnapshotResult) -> SnapshotOk:
    assert isinstance(result, SnapshotOk), result
    return result


def _failed(result: SnapshotResult, failure: SnapshotFailure) -> SnapshotFailed:
    assert isinstance(result, SnapshotFailed), result
    assert result.failure is failure, result
    return result


def test_a_running_camera_answers_with_a_jpeg_of_its_frame(
    broker: BrokerConfig, vtest_clip: Path, yolox: Detector, tmp_path: Path
) -> None:
    edge_id = _edge_id()
    cameras = [
        clip_camera("gate", vtest_clip),
        clip_camera("ended", short_clip(tmp_path / "s.avi")),
    ]
    config = edge_config(broker, edge_id, cameras)
    with live_edge(config, yolox) as (runtime, _handler), request_client(broker) as client:
        wait_for_frames(runtime, "gate")
        before = datetime.now(UTC)
        full = _ok(client.request_snapshot(edge_id, "gate", ANSWER_TIMEOUT_S))
        assert decoded(full.jpeg).shape == (576, 768, 3)  # vtest.avi is 768x576
        assert (full.width, full.height, full.edge_id) == (768, 576, edge_id)
        assert full.captured_at <= datetime.now(UTC)
        assert full.captured_at >= before - timedelta(seconds=30)  # a recent frame, not the first

        small = _ok(client.request_snapshot(edge_id, "gate", ANSWER_TIMEOUT_S, max_width=320))
        assert decoded(small.jpeg).shape == (240, 320, 3)

        unknown = client.request_snapshot(edge_id, "nowhere", ANSWER_TIMEOUT_S)
        assert "runs no camera nowhere" in _failed(unknown, SnapshotFailure.CAMERA_UNKNOWN).reason

        ended = runtime.live_camera("ended")
        assert ended is not None
        wait_until(lambda: ended.finished, 60)
        offline = client.request_snapshot(edge_id, "ended", ANSWER_TIMEOUT_S)
        _failed(offline, SnapshotFailure.CAMERA_OFFLINE)
    assert client.outstanding == 0


def test_many_concurrent_requests_are_all_answered(
    broker: BrokerConfig, vtest_clip: Path, yolox: Detector
) -> None:
    edge_id = _edge_id()
    config = edge_config(
        broker, edge_id, [clip_camera("a", vtest_clip), clip_camera("b", vtest_clip)]
    )
    with live_edge(config, yolox) as (runtime, handler), request_client(broker) as client:
        wait_for_frames(runtime, "a", "b")
        # 16 at once from one thread (futures) and 24 from 8 threads (blocking calls): at most
        # 24 wait at the edge at once, within its queue of 32.
        futures = [
            client.submit_snapshot(edge_id, "ab"[n % 2], ANSWER_TIMEOUT_S) for n in range(16)
        ]
        with ThreadPoolExecutor(8) as pool:
            blocking = list(
                pool.map(
                    lambda n: client.request_snapshot(edge_id, "ab"[n % 2], ANSWER_TIMEOUT_S),
                    range(24),
                )
            )
        results = [future.result() for future in futures] + blocking
    answered = [_ok(result) for result in results]
    assert {(r.camera_id, r.width) for r in answered} == {("a", 768), ("b", 768)}
    assert all(decoded(r.jpeg).shape == (576, 768, 3) for r in answered[:4])
    assert handler.counts()["answered"] == 40
    assert client.outstanding == 0


def test_nobody_answering_times_out_and_the_outstanding_requests_are_bounded(
    broker: BrokerConfig,
) -> None:
    with request_client(broker, max_outstanding=2) as client:
        waiting = [client.submit_snapshot("edge-absent", "cam", 2.0) for _ in range(2)]
        busy = client.request_snapshot("edge-absent", "cam", 2.0)
        assert "too many requests" in _failed(busy, SnapshotFailure.BUSY).reason
        for future in waiting:
            timed_out = _failed(future.result(30), SnapshotFailure.TIMEOUT)
            assert "did not answer" in timed_out.reason
        assert client.outstanding == 0
        short = client.request_snapshot("edge-absent", "cam", 0.3)
        _failed(short, SnapshotFailure.TIMEOUT)


def test_an_offline_edge_fails_at_once_and_its_waiting_requests_with_it(
    broker: BrokerConfig,
) -> None:
    status_topic = broker.topics.edge_status("edge-gone")
    mqtt = Subscriber(broker, broker.topics.all_edge_responses())
    try:
        with request_client(broker) as client:
            waiting = client.submit_snapshot("edge-gone", "cam", 30.0)
            mqtt.publish(status_topic, _status("edge-gone", EdgeAvailability.OFFLINE), retain=True)
            # Resolved by the status, not the 30 s deadline: the failure says which.
            _failed(waiting.result(30), SnapshotFailure.EDGE_OFFLINE)
            assert client.edge_availability("edge-gone") is EdgeAvailability.OFFLINE
            later = client.request_snapshot("edge-gone", "cam", 30.0)
            assert "is offline" in _failed(later, SnapshotFailure.EDGE_OFFLINE).reason
    finally:
        mqtt.clear_retained(status_topic)
        mqtt.close()


def test_responses_nobody_waits_for_are_ignored_and_counted(broker: BrokerConfig) -> None:
    mqtt = Subscriber(broker, broker.topics.all_edge_responses())
    try:
        with request_client(broker) as client:
            topic = broker.topics.edge_responses("edge-01")
            mqtt.publish(topic, encode_framed(make_edge_response()))  # an unknown request id
            mqtt.publish(topic, b'{"schema_version": 1, "request_id": 7}')
            other_edge = make_edge_response(edge_id="edge-02")
            mqtt.publish(topic, encode_framed(other_edge))
            metrics = client.metrics
            wait_until(
                lambda: (
                    (
                        metrics.ignored_count("unknown_request"),
                        metrics.ignored_count("invalid"),
                        metrics.ignored_count("wrong_edge"),
                    )
                    == (1, 1, 1)
                )
            )
    finally:
        mqtt.close()


def _status(edge_id: str, state: EdgeAvailability) -> bytes:
    message = EdgeStatusMessage(
        edge_id=edge_id, state=state, at=datetime.now(UTC), software_version="test"
    )
    return encode_message(message)
