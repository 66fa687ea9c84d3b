"""Clip uploads at central: resumable, checked, stored once; bad uploads refused with a reason."""

from __future__ import annotations

import uuid

from gridwatch_central.db import clip_repository
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.clip_messages import ClipAck, ClipUnavailableMessage
from gridwatch_contract.codec import encode_message
from tests.central.clips.conftest import CAMERA_ID, CHUNK_BYTES, EDGE_ID, RealClip, chunks


def _topic(runtime: CentralRuntime, kind: str = "data", edge_id: str = EDGE_ID) -> str:
    topics = runtime.config.broker.topics
    if kind == "data":
        return topics.clip_data(edge_id, CAMERA_ID)
    return topics.clip_unavailable(edge_id, CAMERA_ID)


def _send(runtime: CentralRuntime, payload: bytes, kind: str = "data") -> ClipAck:
    receipt = runtime.clip_ingest.handle(_topic(runtime, kind), payload)
    assert receipt is not None
    assert receipt.edge_id == EDGE_ID
    return receipt.ack


def test_chunks_resume_and_the_clip_is_stored_once(
    central_runtime: CentralRuntime, real_clip: RealClip
) -> None:
    clip_id, event_id = uuid.uuid4(), uuid.uuid4()
    payloads = chunks(real_clip, clip_id, event_id)
    assert len(payloads) >= 3
    acks = [_send(central_runtime, payload) for payload in payloads[:-1]]
    assert [(a.status, a.next_offset) for a in acks] == [
        ("partial", CHUNK_BYTES * (i + 1)) for i in range(len(payloads) - 1)
    ]
    # A chunk sent again (its ack was lost) changes nothing; a later one beyond a gap is not
    # written and the answer names the first missing byte.
    assert _send(central_runtime, payloads[0]).next_offset == CHUNK_BYTES * (len(payloads) - 1)
    final = _send(central_runtime, payloads[-1])
    assert (final.status, final.next_offset) == ("stored", len(real_clip.data))
    assert _send(central_runtime, payloads[-1]).status == "duplicate"
    assert _send(central_runtime, payloads[1]).status == "duplicate"  # no second copy begins

    with central_runtime.sessions() as session:
        row = clip_repository.find(session, clip_id)
    assert row is not None
    assert row.path is not None
    assert (row.status, row.codec, row.width, row.height) == ("stored", "h264", 1280, 720)
    assert central_runtime.clips.path_of(row.path).read_bytes() == real_clip.data
    assert not list((central_runtime.clips.root / "incoming").iterdir())


def test_a_chunk_after_a_gap_is_not_written_and_the_edge_is_told_where_to_resume(
    central_runtime: CentralRuntime, real_clip: RealClip
) -> None:
    payloads = chunks(real_clip, uuid.uuid4(), uuid.uuid4())
    assert _send(central_runtime, payloads[0]).next_offset == CHUNK_BYTES
    skipped = _send(central_runtime, payloads[2])
    assert (skipped.status, skipped.next_offset) == ("partial", CHUNK_BYTES)


def test_a_corrupt_upload_is_refused_with_the_reason_and_a_resend_is_stored(
    central_runtime: CentralRuntime, real_clip: RealClip
) -> None:
    clip_id, event_id = uuid.uuid4(), uuid.uuid4()
    damaged = bytearray(real_clip.data)
    damaged[len(damaged) // 2] ^= 0xFF  # one bit flipped on the way
    acks = [
        _send(central_runtime, p) for p in chunks(real_clip, clip_id, event_id, data=bytes(damaged))
    ]
    refused = acks[-1]
    assert (refused.status, refused.next_offset) == ("rejected", 0)
    assert refused.reason is not None
    assert refused.reason.startswith("corrupt")
    with central_runtime.sessions() as session:
        assert clip_repository.find(session, clip_id) is None

    again = [_send(central_runtime, p) for p in chunks(real_clip, clip_id, event_id)]
    assert again[-1].status == "stored"


def test_bytes_that_are_not_a_playable_mp4_are_refused_even_with_a_matching_hash(
    central_runtime: CentralRuntime, real_clip: RealClip
) -> None:
    forged = RealClip(b"\x00" * len(real_clip.data), real_clip.info)  # its own sha256
    acks = [_send(central_runtime, p) for p in chunks(forged, uuid.uuid4(), uuid.uuid4())]
    assert acks[-1].status == "rejected"
    assert (acks[-1].reason or "").startswith("unplayable")


def test_a_chunk_naming_another_edge_than_its_topic_is_refused(
    central_runtime: CentralRuntime, real_clip: RealClip
) -> None:
    payload = chunks(real_clip, uuid.uuid4(), uuid.uuid4(), edge_id="edge-02")[0]
    ack = _send(central_runtime, payload)  # on edge-01's topic
    assert ack.status == "rejected"
    assert "topic" in (ack.reason or "")


def test_an_unavailable_notice_is_filed_once(central_runtime: CentralRuntime) -> None:
    clip_id = uuid.uuid4()
    notice = ClipUnavailableMessage(
        clip_id=clip_id,
        event_id=uuid.uuid4(),
        edge_id=EDGE_ID,
        camera_id=CAMERA_ID,
        reason="dropped: the edge's clip budget was full",
    )
    for _ in range(2):
        ack = _send(central_runtime, encode_message(notice), kind="unavailable")
        assert ack.status == "noted"
    with central_runtime.sessions() as session:
        row = clip_repository.find(session, clip_id)
    assert row is not None
    assert (row.status, row.reason) == ("unavailable", notice.reason)
