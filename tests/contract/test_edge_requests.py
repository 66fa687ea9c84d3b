"""Edge requests and responses: framed pictures, bounded lives, and a picture only with ok."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from gridwatch_contract import Topics
from gridwatch_contract.codec import ContractError, decode_message, encode_framed, encode_message
from gridwatch_contract.edge_requests import (
    MAX_REQUEST_TTL_S,
    EdgeRequest,
    EdgeResponse,
    ResponseStatus,
)
from gridwatch_contract.framing import FRAME_SEPARATOR
from tests.contract.factories import TINY_JPEG, make_edge_request, make_edge_response


def test_a_response_carries_its_jpeg_raw_after_the_header() -> None:
    response = make_edge_response()
    payload = encode_framed(response)
    header, separator, attachment = payload.partition(FRAME_SEPARATOR)
    assert separator
    assert attachment == TINY_JPEG
    assert b'"attachment":{"offset":0,"length":4}' in header
    assert decode_message(EdgeResponse, payload) == response


def test_a_response_without_picture_is_plain_json() -> None:
    response = make_edge_response(
        status=ResponseStatus.CAMERA_OFFLINE,
        reason="stream down",
        snapshot=None,
        captured_at=None,
    )
    payload = encode_framed(response)
    assert FRAME_SEPARATOR not in payload
    assert decode_message(EdgeResponse, payload) == response


def test_a_request_round_trips_as_json() -> None:
    request = make_edge_request()
    assert decode_message(EdgeRequest, encode_message(request)) == request


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"deadline_s": 0}, "deadline must be after requested_at"),
        ({"deadline_s": MAX_REQUEST_TTL_S + 1}, "deadline must be at most 60 s"),
        ({"max_width": 8}, "max_width"),
        ({"kind": "clip"}, "kind"),
        ({"camera_id": "a/b"}, "camera_id: Value error, invalid id"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(change: dict[str, Any], problem: str) -> None:
    request = make_edge_request()
    document = request.model_dump(mode="json")
    if "deadline_s" in change:
        deadline = request.requested_at + timedelta(seconds=change.pop("deadline_s"))
        document["deadline"] = deadline.isoformat()
    document.update(change)
    with pytest.raises(ContractError) as caught:
        decode_message(EdgeRequest, json.dumps(document))
    assert problem in caught.value.reason


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"snapshot": None}, "status ok carries a snapshot"),
        ({"captured_at": None}, "status ok carries a snapshot"),
        ({"status": ResponseStatus.CAMERA_OFFLINE, "reason": "down"}, "carries no snapshot"),
        (
            {"status": ResponseStatus.ERROR, "snapshot": None, "captured_at": None},
            "says why in 'reason'",
        ),
    ],
)
def test_a_picture_goes_with_ok_and_only_with_it(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        make_edge_response(**fields)


def test_request_and_response_topics_carry_the_edge_id() -> None:
    topics = Topics("city")
    assert topics.edge_requests("edge-7") == "city/v1/edges/edge-7/requests"
    assert topics.edge_responses("edge-7") == "city/v1/edges/edge-7/responses"
    assert topics.all_edge_responses() == "city/v1/edges/+/responses"
    with pytest.raises(ValueError, match="invalid edge_id"):
        topics.edge_requests("+")
