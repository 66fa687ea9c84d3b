"""Resumable, chunked upload of the spool's clips over the edge's MQTT connection.

One clip at a time, one chunk at a time (stop-and-wait): each chunk fits one MQTT packet, so an
alert queued meanwhile waits behind at most one chunk, and central answers each chunk with the
offset it needs next once the bytes are on its disk. That answer is written to the spool, so
after a broker outage, a central restart or an edge restart the upload resumes at the first
byte central lacks; a chunk without an answer is sent again after the ack timeout (doubling),
and at once after a reconnect. A clip leaves the spool only when central says ``stored`` (or
``duplicate``); a ``rejected`` upload starts over, up to the spool's ``max_rejections``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from gridwatch_contract.clip_messages import (
    ClipAck,
    ClipChunkHeader,
    ClipUnavailableMessage,
    encode_clip_chunk,
)
from gridwatch_contract.codec import ContractError, decode_message, encode_message
from gridwatch_contract.topics import Topics
from gridwatch_edge.clips.spool import ClipSpool, ClipSpoolError, PendingClip
from gridwatch_edge.outbox import ResendPolicy

logger = logging.getLogger(__name__)

CLIP_QOS = 1
# A chunk's JSON header is ~700 bytes (ids, offsets, sha256, the clip's times and size);
# 2 KiB leaves the rest of the packet limit to the bytes.
CHUNK_HEADER_BYTES = 2 * 1024
# New clips and acks wake the sender at once; this bounds how late an ack timeout is noticed.
SENDER_TICK_S = 1.0
DRAIN_POLL_S = 0.05


class MqttLink(Protocol):
    """What the sender needs of the edge's MQTT connection (``MqttPublisher``)."""

    @property
    def connected(self) -> bool: ...

    def send(self, topic: str, payload: bytes, qos: int) -> bool:
        """Hand ``payload`` to the client; False when not connected."""
        ...


@dataclass(slots=True)
class _InFlight:
    clip_id: uuid.UUID
    offset: int
    sent_at: float
    sends: int


class ClipSender:
    def __init__(
        self,
        spool: ClipSpool,
        link: MqttLink,
        *,
        topics: Topics,
        edge_id: str,
        max_payload_bytes: int,
        policy: ResendPolicy,
    ) -> None:
        self._spool = spool
        self._link = link
        self._topics = topics
        self._edge_id = edge_id
        self.topic = topics.clip_acks(edge_id)
        self._chunk_bytes = max_payload_bytes - CHUNK_HEADER_BYTES
        self._policy = policy
        self._in_flight: _InFlight | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clip-sender", daemon=True)
        self.chunks_sent = 0
        self.resends = 0

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def wake(self) -> None:
        self._wake.set()

    def drain(self, timeout_s: float) -> bool:
        """Wait until the spool is empty; False if clips are left."""
        deadline = time.monotonic() + timeout_s
        while self._spool.depth():
            if time.monotonic() >= deadline:
                return False
            time.sleep(DRAIN_POLL_S)
        return True

    # --- the MQTT side (paho's thread) --------------------------------------------------------

    def on_connect(self) -> None:
        """A new connection: whatever was in flight may be lost, so it is due again."""
        with self._lock:
            if self._in_flight is not None:
                self._in_flight.sent_at = float("-inf")
        self._wake.set()

    def on_message(self, payload: bytes) -> None:
        try:
            ack = decode_message(ClipAck, payload)
        except ContractError as error:
            logger.warning("ignoring an invalid clip ack: %s", error)
            return
        try:
            self._apply(ack)
        except ClipSpoolError:
            logger.exception("could not record the ack of clip %s; it is sent again", ack.clip_id)
        with self._lock:
            if self._in_flight is not None and self._in_flight.clip_id == ack.clip_id:
                self._in_flight = None  # answered: the next chunk (or clip) is due
        self._wake.set()

    def _apply(self, ack: ClipAck) -> None:
        if ack.status == "partial":
            self._spool.confirm(ack.clip_id, ack.next_offset)
        elif ack.status == "rejected":
            logger.error("central refused clip %s (%s); sending it again", ack.clip_id, ack.reason)
            self._spool.reject(ack.clip_id, ack.reason or "no reason given")
        elif self._spool.settle(ack.clip_id, ack.status):
            logger.info("clip %s %s at central", ack.clip_id, ack.status)

    # --- the sender thread --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closing.is_set():
            self._wake.clear()
            try:
                self._spool.expire()
                if self._link.connected:
                    self._send_due()
            except Exception:  # a failing disk must not end delivery for good
                logger.exception("clip sender failed; retrying")
            self._wake.wait(SENDER_TICK_S)

    def _send_due(self) -> None:
        head = self._spool.head()
        if head is None:
            return
        offset = head.next_offset if head.next_offset < head.size_bytes else 0
        now = time.monotonic()
        with self._lock:
            flight = self._in_flight
            again = flight is not None and (flight.clip_id, flight.offset) == (head.clip_id, offset)
            sends = flight.sends + 1 if flight is not None and again else 1
            if (
                flight is not None
                and again
                and now - flight.sent_at < self._policy.wait_after(flight.sends)
            ):
                return  # answer not overdue yet
        payload, topic = self._message(head, offset)
        if payload is None:
            self._wake.set()  # it became a notice: send that next
            return
        if not self._link.send(topic, payload, CLIP_QOS):
            return
        with self._lock:
            self._in_flight = _InFlight(head.clip_id, offset, now, sends)
        if sends > 1:
            self.resends += 1
        self.chunks_sent += 1
        self._spool.sent(head.seq)

    def _message(self, head: PendingClip, offset: int) -> tuple[bytes | None, str]:
        if head.info is None:
            notice = ClipUnavailableMessage(
                clip_id=head.clip_id,
                event_id=head.event_id,
                edge_id=self._edge_id,
                camera_id=head.camera_id,
                reason=head.reason or "unknown",
            )
            topic = self._topics.clip_unavailable(self._edge_id, head.camera_id)
            return encode_message(notice), topic
        data = self._spool.read(head, offset, self._chunk_bytes)
        topic = self._topics.clip_data(self._edge_id, head.camera_id)
        if data is None or head.sha256 is None:
            return None, topic  # it became a notice: the next round sends that
        header = ClipChunkHeader(
            clip_id=head.clip_id,
            event_id=head.event_id,
            edge_id=self._edge_id,
            camera_id=head.camera_id,
            offset=offset,
            length=len(data),
            total_bytes=head.size_bytes,
            sha256=head.sha256,
            info=head.info,
        )
        return encode_clip_chunk(header, data), topic
