"""The edge's request handler on the real broker: stale, retained, foreign and unreadable
requests are never answered as if fresh; the fresh request behind them is."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import decode_message, encode_message
from gridwatch_contract.edge_requests import EdgeRequest, EdgeResponse, ResponseStatus
from gridwatch_edge.detector import Detector
from gridwatch_edge.requests import RequestHandler
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink
from tests.contract.factories import make_edge_request
from tests.edge.mqtt_helpers import Subscriber
from tests.edge.requests.live_edge import SUBSCRIBE_WAIT_S, clip_camera, edge_config

EDGE_ID = "edge-handler"


def _request(**overrides: object) -> EdgeRequest:
    now = datetime.now(UTC)
    fields = {"edge_id": EDGE_ID, "requested_at": now, "deadline": now + timedelta(seconds=30)}
    return make_edge_request(**(fields | overrides))


def test_only_fresh_readable_requests_for_this_edge_are_answered(
    broker: BrokerConfig, vtest_clip: Path, yolox: Detector
) -> None:
    config = edge_config(broker, EDGE_ID, [clip_camera("gate", vtest_clip)])
    # Not started: the handler needs no running camera to refuse requests or to say so.
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink())
    handler = RequestHandler.for_edge(config, runtime)
    requests_topic = broker.topics.edge_requests(EDGE_ID)
    mqtt = Subscriber(broker, broker.topics.edge_responses(EDGE_ID))
    try:
        # Retained before the edge subscribes: delivered as stored, so stale whatever it says.
        mqtt.publish(requests_topic, encode_message(_request()), retain=True)
        handler.start()
        assert handler.wait_subscribed(SUBSCRIBE_WAIT_S)
        sent = datetime.now(UTC) - timedelta(seconds=20)
        expired = _request(requested_at=sent, deadline=sent + timedelta(seconds=10))
        mqtt.publish(requests_topic, encode_message(expired))
        mqtt.publish(requests_topic, encode_message(_request(edge_id="edge-other")))
        clip = _request().model_dump(mode="json") | {"kind": "clip"}
        mqtt.publish(requests_topic, json.dumps(clip).encode())
        mqtt.publish(requests_topic, b"not json at all")
        fresh = _request(camera_id="gate")
        mqtt.publish(requests_topic, encode_message(fresh))

        # Answers leave in order, so once the fresh one's is here every earlier one's is too.
        messages = mqtt.wait_for(2, timeout_s=30)
        responses = [decode_message(EdgeResponse, bytes(m.payload)) for m in messages]
        assert not any(m.retain for m in messages)
    finally:
        handler.close()
        runtime.stop()
        mqtt.clear_retained(requests_topic)
        mqtt.close()
    refused, answered = responses
    assert (refused.request_id, refused.status) == (
        uuid.UUID(clip["request_id"]),
        ResponseStatus.ERROR,
    )
    assert refused.reason is not None
    assert "not understood by this edge" in refused.reason
    assert "kind" in refused.reason
    assert (answered.request_id, answered.status) == (
        fresh.request_id,
        ResponseStatus.CAMERA_OFFLINE,
    )
    assert handler.counts() == {
        "answered": 1,
        "busy": 0,
        "expired": 1,
        "retained": 1,
        "unreadable": 2,
        "not_for_us": 1,
    }
