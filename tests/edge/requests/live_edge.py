"""A real edge answering requests for tests: the runtime on the sample clip with the real
detector, its request handler on the real broker, and a central request client beside it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from prometheus_client import CollectorRegistry

from gridwatch_central.edge_requests import EdgeRequestClient, EdgeRequestMetrics
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES
from gridwatch_edge.config import EdgeConfig, parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.requests import RequestHandler
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink
from tests.central.helpers import wait_until

# Generous: the 2-core box is shared by several test runs at once.
READY_WAIT_S = 60.0
SUBSCRIBE_WAIT_S = 10.0


def clip_camera(camera_id: str, clip: Path, **extra: Any) -> dict[str, Any]:
    """A camera replaying ``clip`` at its own pace, analysed twice a second (cheap)."""
    return {"id": camera_id, "url": str(clip), "analysis_fps": 2, "realtime": True, **extra}


def edge_config(broker: BrokerConfig, edge_id: str, cameras: list[dict[str, Any]]) -> EdgeConfig:
    return parse_edge_config(
        {"edge_id": edge_id, "broker": broker.model_dump(mode="json"), "cameras": cameras}
    )


@contextmanager
def live_edge(
    config: EdgeConfig, detector: Detector
) -> Iterator[tuple[EdgeRuntime, RequestHandler]]:
    """The edge running and subscribed; live cameras have analysed a frame at least."""
    runtime = EdgeRuntime(config, detector=detector, sink=CollectingSink())
    handler = RequestHandler.for_edge(config, runtime)
    runtime.start()
    handler.start()
    try:
        assert handler.wait_subscribed(SUBSCRIBE_WAIT_S), "edge not subscribed to its requests"
        yield runtime, handler
    finally:
        handler.close()
        runtime.stop()


def wait_for_frames(runtime: EdgeRuntime, *camera_ids: str) -> None:
    def ready() -> bool:
        cameras = [runtime.live_camera(camera_id) for camera_id in camera_ids]
        return all(c is not None and c.latest_frame is not None and c.online for c in cameras)

    wait_until(ready, READY_WAIT_S)


@contextmanager
def request_client(
    broker: BrokerConfig, *, max_outstanding: int = 256
) -> Iterator[EdgeRequestClient]:
    """Central's request client, started on the broker with a registry of its own."""
    client = EdgeRequestClient(
        broker,
        client_id=f"test-requests-{uuid.uuid4().hex[:8]}",
        metrics=EdgeRequestMetrics(CollectorRegistry()),
        max_outstanding=max_outstanding,
        max_payload_bytes=DEFAULT_MAX_PAYLOAD_BYTES,
    )
    client.start(SUBSCRIBE_WAIT_S)
    try:
        yield client
    finally:
        client.stop()


def short_clip(path: Path, frames: int = 5) -> Path:
    """A tiny real video file that ends at once: its camera goes offline when it does."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (320, 240))
    for index in range(frames):
        writer.write(np.full((240, 320, 3), index * 40, dtype=np.uint8))
    writer.release()
    return path


def decoded(jpeg: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a decodable JPEG"
    return np.asarray(image, dtype=np.uint8)
