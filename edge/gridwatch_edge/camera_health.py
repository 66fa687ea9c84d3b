"""``camera_offline`` / ``camera_online`` events, sent through the same ``AlertSink`` as
alerts so that they share the outbox, the acks and central's storage.

Each is a one-message event (state ``new``): an operator sees the outage when it starts, and
its end with its duration (``offline_s``) when the camera is back. No snapshot (there is no
picture of a camera that is away) and no objects.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from gridwatch_contract.messages import (
    AlertMessage,
    AlertState,
    EventType,
    FrameSize,
    ModelInfo,
)
from gridwatch_edge.config import CameraConfig
from gridwatch_edge.sources.reader import ConnectionChange

# The rule id these events carry: not a configured rule, the camera's own health check.
CAMERA_HEALTH_RULE_ID = "camera-health"
# Before the first frame the stream size is unknown; the contract wants a size, so we send
# the smallest one, which no real stream has.
UNKNOWN_FRAME = FrameSize(width=1, height=1)


def camera_health_alert(
    change: ConnectionChange, *, edge_id: str, camera: CameraConfig, model: ModelInfo
) -> AlertMessage:
    now = datetime.now(UTC)
    frame = (
        UNKNOWN_FRAME
        if change.frame_size is None
        else FrameSize(width=change.frame_size[0], height=change.frame_size[1])
    )
    measurements = {} if change.offline_for_s is None else {"offline_s": change.offline_for_s}
    return AlertMessage(
        alert_id=uuid.uuid4(),
        event_id=uuid.uuid4(),
        sequence=0,
        edge_id=edge_id,
        camera_id=camera.id,
        event_type=EventType.CAMERA_ONLINE if change.online else EventType.CAMERA_OFFLINE,
        rule_id=CAMERA_HEALTH_RULE_ID,
        state=AlertState.NEW,
        started_at=now,
        updated_at=now,
        confidence=1.0,
        measurements=measurements,
        frame=frame,
        location=camera.location,
        model=model,
    )
