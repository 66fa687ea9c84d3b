"""The contract refuses values that parse but that no receiver can store or compute with.

Each case is a message that was valid JSON and passed the contract before #11, and then stalled
central's ingest (the database refused it, or a computation raised). The edge builds its alerts
through these models, so it refuses such a value before sending; central refuses it on decoding.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from gridwatch_contract.codec import ContractError, decode_alert, encode_alert, encode_message
from gridwatch_contract.messages import (
    MAX_JSON_INT,
    MAX_SEQUENCE,
    AlertMessage,
    AlertReceipt,
    AlertState,
    EdgeStatusMessage,
)
from tests.contract.factories import make_alert


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(encode_message(make_alert()))
    document.update(changes)
    return document


def _object(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = _document()["objects"][0]
    return item | changes


# (what, the raw JSON text of the alert): each is refused by decode_alert with code "invalid".
POISON: list[tuple[str, str]] = [
    ("sequence beyond a 32-bit column", json.dumps(_document(sequence=2**40, state="update"))),
    ("class id beyond any JSON reader", json.dumps(_document(objects=[_object(class_id=2**64)]))),
    ("track id beyond any JSON reader", json.dumps(_document(objects=[_object(track_id=2**60)]))),
    ("NUL inside a class name", json.dumps(_document(objects=[_object(class_name="per\0son")]))),
    (
        "control character in a model version",
        json.dumps(_document(model={"name": "m", "version": "1\x1b[2J"})),
    ),
    ("NaN in a measurement", json.dumps(_document(measurements={"person_count": math.nan}))),
    ("Infinity in a measurement", json.dumps(_document(measurements={"density": math.inf}))),
    ("Infinity in media_time_s", json.dumps(_document(media_time_s=math.inf))),
    ("1e400 in a box", json.dumps(_document()).replace('"x2": 40.0', '"x2": 1e400')),
    (
        "year 1 with a positive offset",
        json.dumps(_document(started_at="0001-01-01T00:00:00+14:00")),
    ),
    ("year 9999", json.dumps(_document(updated_at="9999-12-31T23:59:59-14:00"))),
    ("before 1970", json.dumps(_document(started_at="1969-12-31T23:59:59Z"))),
]


@pytest.mark.parametrize(("what", "payload"), POISON, ids=[what for what, _ in POISON])
def test_values_no_receiver_can_store_are_refused(what: str, payload: str) -> None:
    assert decode_alert(json.dumps(_document()).encode())  # the unchanged alert is valid
    with pytest.raises(ContractError) as caught:
        decode_alert(payload.encode())
    assert caught.value.code == "invalid", (what, caught.value.reason)


def test_the_edge_cannot_build_such_an_alert() -> None:
    """The models validate on construction: the edge refuses before anything is sent."""
    with pytest.raises(ValidationError, match="finite number"):
        make_alert(measurements={"person_count": math.nan})
    with pytest.raises(ValidationError, match="less than or equal"):
        make_alert(sequence=MAX_SEQUENCE + 1, state=AlertState.UPDATE)
    with pytest.raises(ValidationError, match="timestamp must lie between"):
        make_alert(started_at=datetime(1, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="pattern"):
        AlertReceipt.model_validate(
            {"alert_id": make_alert().alert_id, "status": "rejected", "reason": "a\0b"}
        )
    with pytest.raises(ValidationError, match="timestamp must lie between"):
        EdgeStatusMessage.model_validate(
            {
                "edge_id": "e",
                "state": "online",
                "at": "2200-01-01T00:00:00Z",
                "software_version": "1",
            }
        )


def test_the_limits_themselves_are_valid() -> None:
    alert = make_alert(
        sequence=MAX_SEQUENCE,
        state=AlertState.UPDATE,
        started_at=datetime(1970, 1, 1, tzinfo=UTC),
        objects=[],
        measurements={"big": 1.7976931348623157e308},
    )
    assert decode_alert(encode_alert(alert)) == alert
    assert MAX_JSON_INT == 2**53 - 1


@pytest.mark.parametrize("depth", [300, 5000, 100_000])
def test_deeply_nested_json_is_refused_as_too_deep_or_invalid(depth: int) -> None:
    header = encode_message(make_alert())[:-1]
    payload = header + b',"nested":' + b"[" * depth + b"]" * depth + b"}"
    with pytest.raises(ContractError) as caught:
        decode_alert(payload)
    # Python's parser gives up at about 1000 levels; shallower nesting is an unknown field.
    assert caught.value.code == ("too_deep" if depth > 1000 else "unknown_field")


def test_reasons_stay_short_whatever_the_sender_wrote() -> None:
    huge_version = json.dumps(_document(schema_version="v" * 100_000)).encode()
    many_fields = json.dumps(_document(**{f"f{i}": i for i in range(10_000)})).encode()
    for payload in (huge_version, many_fields):
        with pytest.raises(ContractError) as caught:
            decode_alert(payload)
        assert len(caught.value.reason) < 500


def test_alert_message_is_still_the_model_decoded() -> None:
    assert isinstance(decode_alert(encode_alert(make_alert())), AlertMessage)
