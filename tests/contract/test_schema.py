"""The committed JSON Schemas and the pydantic models must describe the same messages."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from gridwatch_contract.clip_messages import (
    ClipAck,
    ClipChunkHeader,
    ClipInfo,
    ClipUnavailableMessage,
)
from gridwatch_contract.codec import encode_alert, encode_framed, encode_message
from gridwatch_contract.messages import (
    AlertAck,
    AlertReceipt,
    CameraStats,
    EdgeAvailability,
    EdgeConfigMessage,
    EdgeStatsMessage,
    EdgeStatusMessage,
)
from gridwatch_contract.schema import (
    FRAME_HEADER,
    MESSAGES,
    RESPONSE_FRAME_HEADER,
    documents,
    render,
    schema_path,
)
from gridwatch_contract.sensors import (
    SensorAck,
    SensorBatch,
    SensorReceipt,
    SensorRecord,
    SensorRecordKind,
)
from tests.contract.factories import (
    TINY_JPEG,
    make_alert,
    make_edge_request,
    make_edge_response,
)

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CLIP_ID = uuid.UUID("00000000-0000-4000-8000-00000000c11b")

EXAMPLES: dict[str, BaseModel] = {
    "alert": make_alert(),
    "alert_ack": AlertAck(
        receipts=[AlertReceipt(alert_id=make_alert().alert_id, status="duplicate")]
    ),
    "edge_status": EdgeStatusMessage(
        edge_id="edge-01", state=EdgeAvailability.ONLINE, at=NOW, software_version="0.1.0"
    ),
    "edge_stats": EdgeStatsMessage(
        edge_id="edge-01",
        at=NOW,
        uptime_s=12.0,
        cameras=[
            CameraStats(
                camera_id="cam-01",
                online=True,
                input_fps=10,
                analysed_fps=5,
                frames_read=120,
                frames_analysed=60,
                frames_skipped=60,
                frames_motion_skipped=12,
                connection="degraded",
                reconnects_last_hour=1,
                alerts=1,
            )
        ],
    ),
    "edge_config": EdgeConfigMessage(
        edge_id="edge-01",
        revision=3,
        issued_at=NOW,
        cameras=[{"id": "cam-01", "url": "rtsp://10.0.0.7/main", "zones": []}],
    ),
    "clip_chunk_header": ClipChunkHeader(
        clip_id=CLIP_ID,
        event_id=make_alert().event_id,
        edge_id="edge-01",
        camera_id="cam-01",
        offset=0,
        length=250_000,
        total_bytes=2_600_000,
        sha256="ab" * 32,
        info=ClipInfo(
            codec="h264",
            width=1280,
            height=720,
            starts_at=NOW,
            ends_at=NOW + timedelta(seconds=16),
            event_at=NOW + timedelta(seconds=6),
        ),
    ),
    "clip_unavailable": ClipUnavailableMessage(
        clip_id=CLIP_ID,
        event_id=make_alert().event_id,
        edge_id="edge-01",
        camera_id="cam-01",
        reason="dropped: the edge's clip budget was full",
    ),
    "clip_ack": ClipAck(clip_id=CLIP_ID, status="partial", next_offset=250_000),
    "edge_request": make_edge_request(),
    "edge_response": make_edge_response(),
    "sensor_batch": SensorBatch(
        message_id=uuid.UUID("1b4e28ba-2fa1-41d2-883f-0016d3cca427"),
        gateway_id="gw-01",
        sent_at=NOW,
        records=[
            SensorRecord(
                sensor_id="wl-01",
                sensor_type="water_level",
                kind=SensorRecordKind.READING,
                observed_at=NOW,
                value=163.5,
                battery_pct=81,
            ),
            SensorRecord(
                sensor_id="mh-01",
                sensor_type="manhole_cover",
                kind=SensorRecordKind.ALARM,
                observed_at=NOW,
                code="tilt",
            ),
        ],
    ),
    "sensor_ack": SensorAck(
        receipts=[
            SensorReceipt(
                message_id=uuid.UUID("1b4e28ba-2fa1-41d2-883f-0016d3cca427"),
                status="stored",
                rejected_records=1,
                reason="unknown_sensor: sensor x-1 is not registered",
            )
        ]
    ),
}


def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path(name).read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


@pytest.mark.parametrize("name", sorted(documents()))
def test_committed_schema_matches_the_model(name: str) -> None:
    assert schema_path(name).read_text(encoding="utf-8") == render(documents()[name]), (
        f"{schema_path(name)} is stale: run python -m gridwatch_contract.schema --write"
    )


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_messages_the_models_write_validate_against_the_schema(name: str) -> None:
    document = json.loads(encode_message(EXAMPLES[name]))
    _validator(name).validate(document)
    assert MESSAGES[name].model_validate(document) == EXAMPLES[name]


@pytest.mark.parametrize(
    ("key", "value"),
    [("extra_field", 1), ("schema_version", 2), ("state", "closed"), ("alert_id", None)],
)
def test_schema_rejects_what_the_model_rejects(key: str, value: object) -> None:
    document = json.loads(encode_message(make_alert()))
    if value is None:
        del document[key]
    else:
        document[key] = value
    assert not _validator("alert").is_valid(document)


def _frame_header(payload: bytes) -> dict[str, Any]:
    header, separator, _attachments = payload.partition(b"\x00")
    assert separator
    document: dict[str, Any] = json.loads(header)
    return document


def test_framed_alert_header_validates_against_the_frame_header_schema() -> None:
    header = _frame_header(encode_alert(make_alert()))
    _validator(FRAME_HEADER).validate(header)
    assert not _validator("alert").is_valid(header), "attachment is no field of a plain alert"


def test_frame_header_schema_rejects_a_malformed_attachment() -> None:
    header = _frame_header(encode_alert(make_alert()))
    snapshot = header["snapshot"]
    assert isinstance(snapshot, dict)
    snapshot["attachment"] = {"offset": 0, "length": len(TINY_JPEG), "sha": "x"}
    assert not _validator(FRAME_HEADER).is_valid(header)


def test_framed_response_header_validates_against_its_frame_header_schema() -> None:
    header = _frame_header(encode_framed(make_edge_response()))
    _validator(RESPONSE_FRAME_HEADER).validate(header)
    assert not _validator("edge_response").is_valid(header)
