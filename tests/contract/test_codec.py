from __future__ import annotations

import json

import pytest

from gridwatch_contract.codec import ContractError, decode_alert, decode_message, encode_message
from gridwatch_contract.messages import (
    MAX_RECEIPTS,
    AlertAck,
    AlertMessage,
    AlertReceipt,
    AlertState,
)
from tests.contract.factories import TINY_JPEG, make_alert


def _document(alert: AlertMessage) -> dict[str, object]:
    document: dict[str, object] = json.loads(encode_message(alert))
    return document


def test_alert_round_trips_through_json_with_snapshot_bytes() -> None:
    alert = make_alert()
    decoded = decode_alert(encode_message(alert))
    assert decoded == alert
    assert decoded.snapshot is not None
    assert decoded.snapshot.data == TINY_JPEG


def test_unknown_field_is_rejected_by_name() -> None:
    document = _document(make_alert())
    document["colour"] = "red"
    with pytest.raises(ContractError) as caught:
        decode_alert(json.dumps(document).encode())
    assert caught.value.code == "unknown_field"
    assert "colour" in caught.value.reason


def test_unknown_nested_field_is_rejected_by_path() -> None:
    document = _document(make_alert())
    document["location"] = {"lat": 30.0, "lon": 108.0, "alt": 5}
    with pytest.raises(ContractError) as caught:
        decode_alert(json.dumps(document).encode())
    assert caught.value.code == "unknown_field"
    assert "location.alt" in caught.value.reason


@pytest.mark.parametrize("version", [2, 0, "1", True])
def test_other_schema_versions_are_rejected(version: object) -> None:
    document = _document(make_alert())
    document["schema_version"] = version
    with pytest.raises(ContractError) as caught:
        decode_alert(json.dumps(document).encode())
    assert caught.value.code == "unsupported_version"
    assert "this build reads 1" in caught.value.reason


def test_missing_version_is_rejected() -> None:
    document = _document(make_alert())
    del document["schema_version"]
    with pytest.raises(ContractError) as caught:
        decode_alert(json.dumps(document).encode())
    assert caught.value.code == "missing_version"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", "malformed_json"),
        (b"\xff\xfe\x00", "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"alert"', "not_an_object"),
    ],
)
def test_malformed_payloads_are_rejected_with_a_reason(payload: bytes, code: str) -> None:
    with pytest.raises(ContractError) as caught:
        decode_alert(payload)
    assert caught.value.code == code
    assert caught.value.reason


def test_oversized_payload_is_rejected_before_parsing() -> None:
    with pytest.raises(ContractError) as caught:
        decode_alert(b" " * 101, max_bytes=100)
    assert caught.value.code == "too_large"


def test_invalid_values_name_the_field() -> None:
    document = _document(make_alert())
    document["confidence"] = 1.5
    with pytest.raises(ContractError) as caught:
        decode_alert(json.dumps(document).encode())
    assert caught.value.code == "invalid"
    assert "confidence" in caught.value.reason


def test_new_state_requires_sequence_zero() -> None:
    with pytest.raises(ValueError, match="sequence 0"):
        make_alert(state=AlertState.UPDATE, sequence=0)
    assert make_alert(state=AlertState.UPDATE, sequence=2).sequence == 2


def test_snapshot_carries_exactly_one_source() -> None:
    document = _document(make_alert())
    snapshot = document["snapshot"]
    assert isinstance(snapshot, dict)
    snapshot["url"] = "https://central.example/snapshots/x.jpg"
    with pytest.raises(ContractError, match="exactly one"):
        decode_alert(json.dumps(document).encode())


def test_a_message_of_another_type_is_rejected() -> None:
    ack = AlertAck(receipts=[AlertReceipt(alert_id=make_alert().alert_id, status="stored")])
    with pytest.raises(ContractError) as caught:
        decode_alert(encode_message(ack))
    assert caught.value.code in {"unknown_field", "invalid"}
    assert decode_message(AlertAck, encode_message(ack)) == ack


@pytest.mark.parametrize("compact", [True, False])
def test_compact_and_spaced_json_decode_to_the_same_alert(compact: bool) -> None:
    # encode_message writes compact JSON with the version first (the fast path); any other
    # layout takes the checked path, with the same result.
    alert = make_alert()
    separators = (",", ":") if compact else (", ", ": ")
    payload = json.dumps(_document(alert), separators=separators).encode()
    assert payload.startswith(b'{"schema_version":1,') is compact
    assert decode_alert(payload) == alert
    assert decode_alert(payload.decode()) == alert


def test_a_version_first_payload_with_a_bad_field_is_explained() -> None:
    document = _document(make_alert())
    document["confidence"] = 1.5
    payload = json.dumps(document, separators=(",", ":")).encode()
    assert payload.startswith(b'{"schema_version":1,')
    with pytest.raises(ContractError) as caught:
        decode_alert(payload)
    assert caught.value.code == "invalid"
    assert "confidence" in caught.value.reason


@pytest.mark.parametrize("count", [0, MAX_RECEIPTS + 1])
def test_an_ack_carries_between_one_and_the_maximum_of_receipts(count: int) -> None:
    receipt = {"alert_id": str(make_alert().alert_id), "status": "stored", "reason": None}
    payload = json.dumps({"schema_version": 1, "receipts": [receipt] * count}).encode()
    with pytest.raises(ContractError) as caught:
        decode_message(AlertAck, payload)
    assert caught.value.code == "invalid"
