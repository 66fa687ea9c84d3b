"""The framed alert: JSON header, NUL, raw snapshot bytes; decoded like the plain JSON form."""

from __future__ import annotations

import base64
import json

import pytest

from gridwatch_contract.codec import ContractError, decode_alert, encode_alert, encode_message
from gridwatch_contract.framing import frame_header
from gridwatch_contract.messages import MAX_SNAPSHOT_BYTES, AlertMessage, Snapshot
from tests.contract.factories import make_alert

ANNOTATED = b"\xff\xd8annotated\xff\xd9"
CLEAN = b"\xff\xd8clean\xff\xd9"


def _two_snapshot_alert() -> AlertMessage:
    return make_alert(
        snapshot=Snapshot(data=ANNOTATED, width=768, height=576),
        clean_snapshot=Snapshot(data=CLEAN, width=768, height=576),
    )


def _split(payload: bytes) -> tuple[dict[str, object], bytes]:
    header, separator, attachments = payload.partition(b"\x00")
    assert separator == b"\x00"
    document: dict[str, object] = json.loads(header)
    return document, attachments


def _framed(document: dict[str, object], attachments: bytes, *, compact: bool = True) -> bytes:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(document, separators=separators).encode() + b"\x00" + attachments


def _snapshot(document: dict[str, object], field: str = "snapshot") -> dict[str, object]:
    snapshot = document[field]
    assert isinstance(snapshot, dict)
    return snapshot


def test_framed_alert_decodes_to_the_same_alert_as_its_json_form() -> None:
    alert = _two_snapshot_alert()
    framed = encode_alert(alert)
    assert decode_alert(framed) == alert == decode_alert(encode_message(alert))
    decoded = decode_alert(framed)
    assert decoded.snapshot is not None
    assert decoded.clean_snapshot is not None
    assert (decoded.snapshot.data, decoded.clean_snapshot.data) == (ANNOTATED, CLEAN)


def test_header_is_the_json_form_with_attachments_for_data() -> None:
    alert = _two_snapshot_alert()
    framed = encode_alert(alert)
    # encode_message's text, byte for byte, but for each "data" replaced in place.
    expected = encode_message(alert)
    for picture, reference in (
        (ANNOTATED, b'{"offset":0,"length":13}'),
        (CLEAN, b'{"offset":13,"length":9}'),
    ):
        inline = b'"data":"' + base64.urlsafe_b64encode(picture) + b'"'
        assert inline in expected
        expected = expected.replace(inline, b'"attachment":' + reference)
    assert frame_header(framed) == expected
    assert framed == expected + b"\x00" + ANNOTATED + CLEAN


def test_alert_without_snapshot_bytes_is_plain_json() -> None:
    bare = make_alert(snapshot=None)
    assert encode_alert(bare) == encode_message(bare)
    linked = make_alert(snapshot=Snapshot(url="https://x.example/a.jpg", width=1, height=1))
    assert encode_alert(linked) == encode_message(linked)


@pytest.mark.parametrize("compact", [True, False])
def test_any_json_layout_of_the_header_decodes(compact: bool) -> None:
    # Compact with the version first takes the strict fast path; any other the checked one.
    alert = _two_snapshot_alert()
    header, attachments = _split(encode_alert(alert))
    assert decode_alert(_framed(header, attachments, compact=compact)) == alert


def test_nul_with_nothing_after_it_is_a_framed_alert_without_attachments() -> None:
    alert = make_alert(snapshot=None)
    assert decode_alert(encode_message(alert) + b"\x00") == alert


def _with_reference(field: str, reference: object) -> tuple[dict[str, object], bytes]:
    header, attachments = _split(encode_alert(_two_snapshot_alert()))
    _snapshot(header, field)["attachment"] = reference
    return header, attachments


BAD_REFERENCES = {
    "offset past the end": {"offset": len(ANNOTATED + CLEAN), "length": 1},
    "length past the end": {"offset": len(ANNOTATED), "length": len(CLEAN) + 1},
    "negative offset": {"offset": -1, "length": 4},
    "offset as text": {"offset": "0", "length": 4},
    "length as bool": {"offset": 0, "length": True},
    "missing length": {"offset": 0},
    "unknown key": {"offset": 0, "length": 13, "sha256": "x"},
    "not an object": [0, 13],
}


@pytest.mark.parametrize("compact", [True, False])
@pytest.mark.parametrize("case", sorted(BAD_REFERENCES))
def test_a_bad_attachment_reference_is_rejected(case: str, compact: bool) -> None:
    header, attachments = _with_reference("clean_snapshot", BAD_REFERENCES[case])
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, attachments, compact=compact))
    assert caught.value.code == "bad_attachment"
    assert "clean_snapshot" in caught.value.reason


def test_overlapping_attachments_are_rejected() -> None:
    header, attachments = _with_reference("clean_snapshot", {"offset": 4, "length": 13})
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, attachments))
    assert caught.value.code == "bad_attachment"
    assert "overlaps" in caught.value.reason


def test_the_same_attachment_twice_is_rejected() -> None:
    header, attachments = _with_reference("clean_snapshot", {"offset": 0, "length": 13})
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, attachments[:13]))
    assert caught.value.code == "bad_attachment"


@pytest.mark.parametrize("extra", [b"x", b"\x00", CLEAN])
def test_bytes_no_attachment_claims_are_rejected(extra: bytes) -> None:
    header, attachments = _split(encode_alert(_two_snapshot_alert()))
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, attachments + extra))
    assert caught.value.code == "bad_attachment"
    assert f"{len(extra)} bytes after the header are no attachment" in caught.value.reason


def test_bytes_after_the_nul_of_an_alert_without_snapshots_are_rejected() -> None:
    with pytest.raises(ContractError) as caught:
        decode_alert(encode_message(make_alert(snapshot=None)) + b"\x00" + CLEAN)
    assert caught.value.code == "bad_attachment"


def test_a_snapshot_with_both_data_and_attachment_is_rejected() -> None:
    header, attachments = _split(encode_alert(_two_snapshot_alert()))
    _snapshot(header)["data"] = "_9j_2Q=="
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, attachments))
    assert caught.value.code == "bad_attachment"


def test_attachment_in_plain_json_is_an_unknown_field() -> None:
    header, _attachments = _split(encode_alert(_two_snapshot_alert()))
    with pytest.raises(ContractError) as caught:
        decode_alert(json.dumps(header, separators=(",", ":")).encode())
    assert caught.value.code == "unknown_field"
    assert "snapshot.attachment" in caught.value.reason


def test_attachment_outside_a_snapshot_is_an_unknown_field() -> None:
    header, attachments = _split(encode_alert(_two_snapshot_alert()))
    header["attachment"] = {"offset": 0, "length": 0}
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, attachments))
    assert caught.value.code == "unknown_field"


def test_an_invalid_header_field_is_explained_as_in_plain_json() -> None:
    header, attachments = _split(encode_alert(_two_snapshot_alert()))
    header["confidence"] = 1.5
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, attachments))
    assert caught.value.code == "invalid"
    assert "confidence" in caught.value.reason


def test_a_framed_payload_over_the_limit_is_rejected_before_parsing() -> None:
    framed = encode_alert(_two_snapshot_alert())
    assert decode_alert(framed, max_bytes=len(framed)).alert_id
    with pytest.raises(ContractError) as caught:
        decode_alert(framed, max_bytes=len(framed) - 1)
    assert caught.value.code == "too_large"


def test_an_attachment_over_the_snapshot_limit_is_rejected() -> None:
    header, _attachments = _split(encode_alert(make_alert()))
    oversized = b"\xff" * (MAX_SNAPSHOT_BYTES + 1)
    _snapshot(header)["attachment"] = {"offset": 0, "length": len(oversized)}
    with pytest.raises(ContractError) as caught:
        decode_alert(_framed(header, oversized), max_bytes=2 * MAX_SNAPSHOT_BYTES)
    assert caught.value.code == "invalid"
    assert "snapshot.data" in caught.value.reason


def test_frame_header_is_the_json_of_either_form() -> None:
    alert = _two_snapshot_alert()
    assert frame_header(encode_message(alert)) == encode_message(alert)
    assert json.loads(frame_header(encode_alert(alert)))["alert_id"] == str(alert.alert_id)
