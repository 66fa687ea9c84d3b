"""Turning a rule's ``Event`` into the contract's ``AlertMessage``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from gridwatch_contract.messages import (
    AlertMessage,
    BoundingBox,
    DetectedObject,
    FrameSize,
    ModelInfo,
    Snapshot,
)
from gridwatch_edge.config import CameraConfig
from gridwatch_edge.detections import UNTRACKED, Detections
from gridwatch_edge.events import Event
from gridwatch_edge.snapshot import EncodedSnapshot
from gridwatch_edge.sources.frame import Frame


def build_alert(
    event: Event,
    *,
    edge_id: str,
    camera: CameraConfig,
    frame: Frame,
    snapshot: EncodedSnapshot | None,
    model: ModelInfo,
    class_names: Sequence[str],
) -> AlertMessage:
    return AlertMessage(
        alert_id=uuid.uuid4(),
        event_id=event.event_id,
        sequence=event.sequence,
        edge_id=edge_id,
        camera_id=camera.id,
        event_type=event.event_type,
        rule_id=event.rule_id,
        zone_id=event.zone_id,
        state=event.state,
        started_at=event.started_at,
        updated_at=event.updated_at,
        # Only a recorded file has a meaningful position; a live stream's clock is local.
        media_time_s=None if frame.live else event.media_time_s,
        confidence=min(max(event.confidence, 0.0), 1.0),
        objects=detected_objects(event.detections, class_names),
        measurements=event.measurements,
        frame=FrameSize(width=frame.width, height=frame.height),
        location=camera.location,
        snapshot=None
        if snapshot is None
        else Snapshot(data=snapshot.data, width=snapshot.width, height=snapshot.height),
        model=model,
    )


def detected_objects(detections: Detections, class_names: Sequence[str]) -> list[DetectedObject]:
    objects = []
    for box, score, class_id, track_id in zip(
        detections.xyxy.tolist(),
        detections.confidence.tolist(),
        detections.class_id.tolist(),
        detections.tracker_id.tolist(),
        strict=True,
    ):
        x1, y1, x2, y2 = (max(0.0, float(v)) for v in box)
        objects.append(
            DetectedObject(
                class_name=class_names[class_id],
                class_id=class_id,
                score=min(max(score, 0.0), 1.0),
                box=BoundingBox(x1=x1, y1=y1, x2=max(x1, x2), y2=max(y1, y2)),
                track_id=None if track_id == UNTRACKED else track_id,
            )
        )
    return objects
