"""Valid contract messages for tests, built from the real models."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from gridwatch_contract.edge_requests import (
    EdgeRequest,
    EdgeResponse,
    RequestKind,
    ResponseStatus,
)
from gridwatch_contract.messages import (
    AlertMessage,
    AlertState,
    BoundingBox,
    DetectedObject,
    EventType,
    FrameSize,
    GeoPoint,
    ModelInfo,
    Snapshot,
)

# The smallest well-formed JPEG container (SOI + EOI); the contract does not decode images.
TINY_JPEG = b"\xff\xd8\xff\xd9"


def make_alert(**overrides: Any) -> AlertMessage:
    started = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
    fields: dict[str, Any] = {
        "alert_id": uuid.uuid4(),
        "event_id": uuid.uuid4(),
        "sequence": 0,
        "edge_id": "edge-01",
        "camera_id": "cam-01",
        "event_type": EventType.CROWD,
        "rule_id": "crowd-1",
        "zone_id": "plaza",
        "state": AlertState.NEW,
        "started_at": started,
        "updated_at": started + timedelta(seconds=5),
        "media_time_s": 12.5,
        "confidence": 0.8,
        "objects": [
            DetectedObject(
                class_name="person",
                class_id=0,
                score=0.8,
                box=BoundingBox(x1=10, y1=20, x2=40, y2=100),
                track_id=3,
            )
        ],
        "measurements": {"person_count": 5.0},
        "frame": FrameSize(width=768, height=576),
        "location": GeoPoint(lat=30.229, lon=108.3985),
        "snapshot": Snapshot(data=TINY_JPEG, width=768, height=576),
        "model": ModelInfo(name="yolox_nano", version="0.1.1"),
    }
    fields.update(overrides)
    return AlertMessage(**fields)


def make_edge_request(**overrides: Any) -> EdgeRequest:
    requested = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    fields: dict[str, Any] = {
        "request_id": uuid.uuid4(),
        "kind": RequestKind.SNAPSHOT,
        "edge_id": "edge-01",
        "camera_id": "cam-01",
        "max_width": 640,
        "requested_at": requested,
        "deadline": requested + timedelta(seconds=5),
    }
    fields.update(overrides)
    return EdgeRequest(**fields)


def make_edge_response(**overrides: Any) -> EdgeResponse:
    """An ``ok`` answer with the tiny JPEG; override any field."""
    at = datetime(2026, 11, 21, 9, 0, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "request_id": uuid.uuid4(),
        "edge_id": "edge-01",
        "camera_id": "cam-01",
        "status": ResponseStatus.OK,
        "responded_at": at,
        "captured_at": at - timedelta(milliseconds=180),
        "snapshot": Snapshot(data=TINY_JPEG, width=640, height=480),
    }
    fields.update(overrides)
    return EdgeResponse(**fields)
