"""Snapshots fit their byte budget by lowering quality, then resolution; an alert with its
annotated and clean snapshots never exceeds the message limit."""

from __future__ import annotations

import dataclasses
import logging
import math
import uuid
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from gridwatch_contract import AlertMessage, AlertState, EventType, ModelInfo, encode_alert
from gridwatch_contract.messages import Snapshot
from gridwatch_edge.alerts import AlertSizeLimits, bare_alert, build_alert
from gridwatch_edge.config import CameraConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.snapshot import (
    SnapshotStep,
    SnapshotTooLargeError,
    annotate,
    encode_jpeg,
    snapshot_steps,
)
from gridwatch_edge.sources.frame import Frame


@pytest.fixture(scope="module")
def bus(images_dir: Path) -> np.ndarray:
    image = cv2.imread(str(images_dir / "bus.jpg"))
    assert image is not None
    return image


def test_full_size_when_it_fits(bus: np.ndarray) -> None:
    snapshot = encode_jpeg(bus, max_bytes=1_000_000)
    assert (snapshot.width, snapshot.height) == (810, 1080)
    assert cv2.imdecode(np.frombuffer(snapshot.data, np.uint8), cv2.IMREAD_COLOR) is not None


def test_steps_down_until_it_fits(bus: np.ndarray) -> None:
    snapshot = encode_jpeg(bus, max_bytes=20_000)
    assert len(snapshot.data) <= 20_000
    assert snapshot.width < 810
    decoded = cv2.imdecode(np.frombuffer(snapshot.data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    assert decoded.shape[:2] == (snapshot.height, snapshot.width)


def test_impossible_budget_is_an_error(bus: np.ndarray) -> None:
    with pytest.raises(SnapshotTooLargeError):
        encode_jpeg(bus, max_bytes=500)


def test_annotation_draws_without_touching_the_frame(bus: np.ndarray) -> None:
    detections = Detections.create([[10, 10, 200, 300]], [0.9], [0])
    polygon = np.array([[0, 0], [400, 0], [400, 400]], dtype=np.int32)
    drawn = annotate(bus, detections, ["person"], [polygon])
    assert not np.array_equal(drawn, bus)
    assert drawn.shape == bus.shape


def test_steps_go_from_best_to_smallest_useful() -> None:
    steps = list(snapshot_steps(768))
    assert steps[0] == SnapshotStep(768, 85)
    assert [step.width for step in steps] == sorted((s.width for s in steps), reverse=True)
    assert min(step.width for step in steps) >= 160
    assert steps[-1].quality == 40


@pytest.fixture(scope="module")
def street(vtest_clip: Path) -> Frame:
    capture = cv2.VideoCapture(str(vtest_clip))
    ok, image = capture.read()
    capture.release()
    assert ok
    pixels = np.asarray(image, dtype=np.uint8)
    return Frame(
        ArrayPicture(pixels), index=0, media_time_s=0.0, captured_at=datetime.now(UTC), live=False
    )


def _event(frame: Frame) -> Event:
    now = datetime.now(UTC)
    return Event(
        event_id=uuid.uuid4(),
        sequence=0,
        state=AlertState.NEW,
        event_type=EventType.CROWD,
        rule_id="crowd",
        zone_id="road",
        started_at=now,
        updated_at=now,
        media_time_s=frame.media_time_s,
        confidence=0.9,
        detections=Detections.create(
            [[300, 200, 360, 380], [400, 220, 450, 400]], [0.9, 0.8], [0, 0]
        ),
        measurements={"person_count": 2.0},
    )


def _build(frame: Frame, message_max_bytes: int) -> AlertMessage:
    return build_alert(
        _event(frame),
        edge_id="edge-1",
        camera=CameraConfig(id="cam1", url="/dev/null"),
        frame=frame,
        zone_polygons=[np.array([[100, 100], [700, 100], [700, 500]], dtype=np.int32)],
        model=ModelInfo(name="yolox_nano", version="1"),
        class_names=["person"],
        limits=AlertSizeLimits(message_max_bytes=message_max_bytes, snapshot_max_bytes=10**6),
    )


def _decode(snapshot: Snapshot | None) -> np.ndarray:
    assert snapshot is not None
    assert snapshot.data is not None
    image = cv2.imdecode(np.frombuffer(snapshot.data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    assert image.shape[:2] == (snapshot.height, snapshot.width)
    return np.asarray(image, dtype=np.uint8)


def test_alert_carries_annotated_and_clean_snapshots_at_full_size(street: Frame) -> None:
    alert = _build(street, message_max_bytes=256 * 1024)
    annotated, clean = _decode(alert.snapshot), _decode(alert.clean_snapshot)
    assert annotated.shape == clean.shape == street.image.shape
    # The clean one is the frame as the camera saw it; the annotated one has the red boxes.
    assert cv2.PSNR(clean, street.image) > 30
    assert cv2.PSNR(annotated, street.image) < cv2.PSNR(clean, street.image)
    assert len(encode_alert(alert)) <= 256 * 1024


@pytest.mark.parametrize("limit", [120_000, 60_000, 25_000])
def test_whole_message_fits_the_limit_by_stepping_down(street: Frame, limit: int) -> None:
    alert = _build(street, message_max_bytes=limit)
    assert len(encode_alert(alert)) <= limit
    annotated, clean = _decode(alert.snapshot), _decode(alert.clean_snapshot)
    assert annotated.shape == clean.shape, "both pictures at the same step"
    # Framed, the JPEGs travel raw: more picture than base64 (4 characters for every 3 bytes)
    # could ever fit in the limit.
    assert alert.snapshot is not None
    assert alert.clean_snapshot is not None
    jpeg_bytes = sum(len(s.data or b"") for s in (alert.snapshot, alert.clean_snapshot))
    assert jpeg_bytes > 3 * limit // 4


def test_smaller_limit_gives_smaller_pictures(street: Frame) -> None:
    big = _build(street, message_max_bytes=200_000)
    small = _build(street, message_max_bytes=25_000)
    assert big.snapshot is not None
    assert small.snapshot is not None
    assert small.snapshot.width < big.snapshot.width


def test_without_snapshots_when_even_the_smallest_step_does_not_fit(
    street: Frame, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        alert = _build(street, message_max_bytes=4_000)
    assert alert.snapshot is None
    assert alert.clean_snapshot is None
    assert len(encode_alert(alert)) <= 4_000
    assert f"alert {alert.alert_id} sent without snapshots" in caplog.text


def _bare(event: Event, frame: Frame) -> AlertMessage:
    model = ModelInfo(name="yolox_nano", version="1")
    camera = CameraConfig(id="cam1", url="/dev/null")
    return bare_alert(
        event, edge_id="edge-1", camera=camera, frame=frame, model=model, class_names=["person"]
    )


def test_non_finite_measurements_are_left_out_and_the_alert_kept(street: Frame) -> None:
    """The contract refuses NaN and Infinity (#11); a rule's density over an empty zone must
    not cost the whole alert."""
    measurements = {"person_count": 2.0, "density": math.inf, "ratio": math.nan}
    alert = _bare(dataclasses.replace(_event(street), measurements=measurements), street)
    assert alert.measurements == {"person_count": 2.0}


def test_a_timestamp_no_receiver_can_store_is_refused_before_sending(street: Frame) -> None:
    event = dataclasses.replace(_event(street), started_at=datetime(1, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="timestamp must lie between"):
        _bare(event, street)
