"""Clip uploads in, one ``ClipAck`` out per message: partial, stored, duplicate or rejected.

Each chunk is written where it belongs and fsynced before its answer names the next offset,
so the edge resumes at the first missing byte after any outage. The last chunk completes the
upload: size, sha256 and an FFmpeg probe decide between ``stored`` (the file kept, its row
committed) and ``rejected`` (the upload discarded, the reason sent; the edge starts over).
A clip whose row exists is never stored again: every later chunk of it is a ``duplicate``.
The topic's edge and camera must be the ones the message names: the broker's ACL binds an
edge's login to its topics, so a header naming another edge is refused.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.clips.store import ClipStore, KeptClip, RejectedClipError
from gridwatch_central.db import clip_repository, incident_repository
from gridwatch_contract.clip_messages import (
    ClipAck,
    ClipAckStatus,
    ClipChunk,
    ClipUnavailableMessage,
    decode_clip_chunk,
)
from gridwatch_contract.codec import ContractError, decode_message
from gridwatch_contract.framing import frame_header
from gridwatch_contract.topics import Topics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClipReceipt:
    """The answer to one message and the edge it goes to."""

    edge_id: str
    ack: ClipAck


class ClipMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.chunks = Counter("gridwatch_clip_chunks", "Clip chunks received", registry=registry)
        self.stored = Counter("gridwatch_clips_stored", "Clips stored", registry=registry)
        self.duplicates = Counter(
            "gridwatch_clip_duplicates", "Clip messages of clips stored already", registry=registry
        )
        self.rejected = Counter(
            "gridwatch_clips_rejected",
            "Clip messages refused, by reason",
            ["code"],
            registry=registry,
        )
        self.unavailable = Counter(
            "gridwatch_clips_unavailable", "Clips the edges gave up", registry=registry
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ClipIngestService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: ClipStore,
        metrics: ClipMetrics,
        *,
        topics: Topics,
        max_payload_bytes: int,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._metrics = metrics
        self._topics = topics
        self._max_payload_bytes = max_payload_bytes
        self.clock = clock

    def handle(self, topic: str, payload: bytes) -> ClipReceipt | None:
        """The answer to one message; None when it names no clip to answer about."""
        origin = _topic_origin(topic, self._topics.root)
        if origin is None:
            self._metrics.rejected.labels(code="bad_topic").inc()
            log.warning("clip message on unexpected topic %s; ignored", topic)
            return None
        edge_id, camera_id, kind = origin
        try:
            if kind == "data":
                chunk = decode_clip_chunk(payload, max_bytes=self._max_payload_bytes)
                _check_origin(origin, chunk.header.edge_id, chunk.header.camera_id)
                return ClipReceipt(edge_id, self._chunk(chunk))
            notice = decode_message(ClipUnavailableMessage, payload)
            _check_origin(origin, notice.edge_id, notice.camera_id)
            return ClipReceipt(edge_id, self._unavailable(notice))
        except ContractError as error:
            self._metrics.rejected.labels(code=error.code).inc()
            clip_id = _clip_id_from_raw(payload)
            log.warning("clip message from %s/%s refused: %s", edge_id, camera_id, error)
            if clip_id is None:
                return None
            reason = f"{error.code}: {error.reason}"[:500]
            return ClipReceipt(edge_id, _ack(clip_id, "rejected", 0, reason=reason))

    def _chunk(self, chunk: ClipChunk) -> ClipAck:
        header = chunk.header
        self._metrics.chunks.inc()
        with self._sessions() as session:
            known = clip_repository.find(session, header.clip_id) is not None
        if known:
            self._metrics.duplicates.inc()
            return _ack(header.clip_id, "duplicate", header.total_bytes)
        held = self._store.write_chunk(header.clip_id, header.offset, chunk.data)
        if held < header.total_bytes:
            return _ack(header.clip_id, "partial", held)
        try:
            kept = self._store.complete(header.clip_id, header.total_bytes, header.sha256)
        except RejectedClipError as error:
            self._metrics.rejected.labels(code=str(error).split(":", 1)[0]).inc()
            log.warning("clip %s of %s refused: %s", header.clip_id, header.camera_id, error)
            return _ack(header.clip_id, "rejected", 0, reason=str(error))
        with self._sessions.begin() as session:
            inserted = clip_repository.insert(session, self._stored_row(chunk, kept))
            if inserted:
                _announce(session, header.clip_id, clip_repository.STORED, self.clock())
        if not inserted:  # another central process filed it meanwhile
            self._metrics.duplicates.inc()
            return _ack(header.clip_id, "duplicate", header.total_bytes)
        self._metrics.stored.inc()
        return _ack(header.clip_id, "stored", header.total_bytes)

    def _unavailable(self, notice: ClipUnavailableMessage) -> ClipAck:
        self._store.discard(notice.clip_id)
        values = {
            "clip_id": notice.clip_id,
            "event_id": notice.event_id,
            "edge_id": notice.edge_id,
            "camera_id": notice.camera_id,
            "status": clip_repository.UNAVAILABLE,
            "reason": notice.reason,
            "stored_at": self.clock(),
        }
        with self._sessions.begin() as session:
            if clip_repository.insert(session, values):
                self._metrics.unavailable.inc()
                _announce(session, notice.clip_id, clip_repository.UNAVAILABLE, self.clock())
        return _ack(notice.clip_id, "noted", 0)

    def _stored_row(self, chunk: ClipChunk, kept: KeptClip) -> dict[str, object]:
        header, info = chunk.header, chunk.header.info
        return {
            "clip_id": header.clip_id,
            "event_id": header.event_id,
            "edge_id": header.edge_id,
            "camera_id": header.camera_id,
            "status": clip_repository.STORED,
            "path": kept.path,
            "size_bytes": kept.size_bytes,
            "sha256": header.sha256,
            # What the file is, as FFmpeg read it; when it shows what, as the edge said.
            "codec": kept.probed.codec,
            "width": kept.probed.width,
            "height": kept.probed.height,
            "starts_at": info.starts_at,
            "ends_at": info.ends_at,
            "event_at": info.event_at,
            "truncated": info.truncated,
            "stored_at": self.clock(),
        }


def _announce(session: Session, clip_id: uuid.UUID, status: str, now: datetime) -> None:
    """Incidents awaiting review note their clip's fate on their timeline: the operators'
    queues follow it and turn "clip pending" into the player (or the reason) at once."""
    for incident_id in clip_repository.incidents_awaiting_review(session, clip_id):
        incident_repository.append_incident_timeline(
            session,
            {
                "incident_id": incident_id,
                "at": now,
                "action": "evidence",
                "actor": "system",
                "actor_role": "system",
                "note": f"evidence clip {clip_id} {status}",
                "details": {"clip_id": str(clip_id), "status": status},
            },
        )


def _ack(
    clip_id: uuid.UUID, status: ClipAckStatus, next_offset: int, reason: str | None = None
) -> ClipAck:
    return ClipAck(clip_id=clip_id, status=status, next_offset=next_offset, reason=reason)


def _topic_origin(topic: str, root: str) -> tuple[str, str, str] | None:
    """``{root}/clips/{edge_id}/{camera_id}/{data|unavailable}`` → its three levels."""
    levels = topic.removeprefix(f"{root}/").split("/")
    if not topic.startswith(f"{root}/") or len(levels) != 4 or levels[0] != "clips":
        return None
    if levels[3] not in ("data", "unavailable"):
        return None
    return levels[1], levels[2], levels[3]


def _check_origin(origin: tuple[str, str, str], edge_id: str, camera_id: str) -> None:
    if origin[:2] != (edge_id, camera_id):
        raise ContractError(
            "invalid",
            f"the message names {edge_id}/{camera_id} but came on the topic of"
            f" {origin[0]}/{origin[1]}",
        )


def _clip_id_from_raw(payload: bytes) -> uuid.UUID | None:
    """Best effort: the clip an invalid message is about, so its sender can act."""
    try:
        document = json.loads(frame_header(payload))
        return uuid.UUID(str(document["clip_id"]))
    except (ValueError, TypeError, KeyError):
        return None
