"""The edge refuses values no receiver can store before anything is sent (#11)."""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import UTC, datetime

import numpy as np
import pytest
from pydantic import ValidationError

from gridwatch_contract.messages import AlertMessage, AlertState, EventType, ModelInfo
from gridwatch_edge.alerts import bare_alert
from gridwatch_edge.config import CameraConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.events import Event
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.sources.frame import Frame

FRAME = Frame(
    ArrayPicture(np.zeros((48, 64, 3), dtype=np.uint8)),
    index=0,
    media_time_s=0.0,
    captured_at=datetime.now(UTC),
    live=False,
)


def _event() -> Event:
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
        media_time_s=0.0,
        confidence=0.9,
        detections=Detections.create([[3, 2, 30, 40]], [0.9], [0]),
        measurements={"person_count": 2.0},
    )


def _alert(event: Event) -> AlertMessage:
    return bare_alert(
        event,
        edge_id="edge-1",
        camera=CameraConfig(id="cam1", url="/dev/null"),
        frame=FRAME,
        model=ModelInfo(name="yolox_nano", version="1"),
        class_names=["person"],
    )


def test_non_finite_measurements_are_left_out_and_the_alert_kept() -> None:
    measurements = {"person_count": 2.0, "density": math.inf, "ratio": math.nan}
    alert = _alert(dataclasses.replace(_event(), measurements=measurements))
    assert alert.measurements == {"person_count": 2.0}


def test_a_timestamp_no_receiver_can_store_is_refused_before_sending() -> None:
    with pytest.raises(ValidationError, match="timestamp must lie between"):
        _alert(dataclasses.replace(_event(), started_at=datetime(1, 1, 1, tzinfo=UTC)))
