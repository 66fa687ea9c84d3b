"""Turning a rule's ``Event`` into the contract's ``AlertMessage``, sized for the broker.

An alert carries two JPEGs (annotated and clean), so its size is dominated by them. It is sent
framed (``encode_alert``: JSON header, NUL, the JPEG bytes raw, no base64). The broker refuses a
PUBLISH above its packet limit, and paho then reconnects and resends the same QoS 1 message
forever, blocking everything queued behind it; so the check here is on the final framed bytes,
and the pictures step down until the whole message fits.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gridwatch_contract.codec import encode_alert
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
from gridwatch_edge.snapshot import EncodedSnapshot, SnapshotPair, annotate, encode_pair
from gridwatch_edge.sources.frame import Frame

logger = logging.getLogger(__name__)

# Header JSON of one framed snapshot besides its raw bytes, plus the NUL separator:
# {"content_type":"image/jpeg","attachment":{"offset":8388608,"length":4194304},"url":null,
# "width":16384,"height":16384} is 118 bytes at most; 128 never makes the estimate too small.
SNAPSHOT_FRAME_OVERHEAD_BYTES = 128


@dataclass(frozen=True, slots=True)
class AlertSizeLimits:
    message_max_bytes: int  # the whole framed payload
    snapshot_max_bytes: int  # each JPEG on its own


def build_alert(
    event: Event,
    *,
    edge_id: str,
    camera: CameraConfig,
    frame: Frame,
    zone_polygons: Sequence[npt.NDArray[np.int32]],
    model: ModelInfo,
    class_names: Sequence[str],
    limits: AlertSizeLimits,
    clip_id: uuid.UUID | None = None,
) -> AlertMessage:
    """The alert with the largest annotated + clean snapshots that keep it within ``limits``.

    If even the smallest step does not fit, the alert goes without snapshots (and says so in
    the log): an alert without a picture is still an alert, a message the broker refuses is not.
    """
    bare = bare_alert(
        event,
        edge_id=edge_id,
        camera=camera,
        frame=frame,
        model=model,
        class_names=class_names,
        clip_id=clip_id,
    )
    body_bytes = len(encode_alert(bare))

    def fits(pair: SnapshotPair) -> bool:
        if any(len(snapshot.data) > limits.snapshot_max_bytes for snapshot in pair):
            return False
        estimate = body_bytes + sum(_framed_bytes(snapshot) for snapshot in pair)
        return estimate <= limits.message_max_bytes

    annotated = annotate(frame.image, event.detections, class_names, zone_polygons)
    pair = encode_pair(annotated, frame.image, fits)
    if pair is not None:
        alert = with_snapshots(bare, *pair)
        if len(encode_alert(alert)) <= limits.message_max_bytes:  # the estimate's proof
            return alert
    logger.warning(
        "camera %s: alert %s sent without snapshots: even the smallest JPEGs exceed the"
        " message limit of %d bytes",
        camera.id,
        bare.alert_id,
        limits.message_max_bytes,
    )
    return bare


def bare_alert(
    event: Event,
    *,
    edge_id: str,
    camera: CameraConfig,
    frame: Frame,
    model: ModelInfo,
    class_names: Sequence[str],
    clip_id: uuid.UUID | None = None,
) -> AlertMessage:
    """The alert without pictures."""
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
        measurements=finite_measurements(event.measurements, camera.id),
        frame=FrameSize(width=frame.width, height=frame.height),
        location=camera.location,
        model=model,
        clip_id=clip_id,
    )


def finite_measurements(measurements: dict[str, float], camera_id: str) -> dict[str, float]:
    """The measurements the contract can carry: a rule's NaN or infinity (a density over an
    empty zone, say) is left out and logged, rather than costing the whole alert."""
    finite = {name: value for name, value in measurements.items() if math.isfinite(value)}
    if len(finite) < len(measurements):
        dropped = sorted(set(measurements) - set(finite))
        logger.warning("camera %s: non-finite measurements left out: %s", camera_id, dropped)
    return finite


def with_snapshots(
    alert: AlertMessage, annotated: EncodedSnapshot | None, clean: EncodedSnapshot | None
) -> AlertMessage:
    return alert.model_copy(
        update={
            "snapshot": _contract_snapshot(annotated),
            "clean_snapshot": _contract_snapshot(clean),
        }
    )


def _contract_snapshot(snapshot: EncodedSnapshot | None) -> Snapshot | None:
    if snapshot is None:
        return None
    return Snapshot(data=snapshot.data, width=snapshot.width, height=snapshot.height)


def _framed_bytes(snapshot: EncodedSnapshot) -> int:
    """Bytes one snapshot adds to the framed alert: its JPEG plus its header fields."""
    return len(snapshot.data) + SNAPSHOT_FRAME_OVERHEAD_BYTES


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
