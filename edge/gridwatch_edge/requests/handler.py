"""The edge's side of central's requests: subscribe, answer each one once, drop stale ones.

An MQTT client of its own (the publisher's belongs to the outbox, the config subscriber may be
switched off) subscribes to ``Topics.edge_requests(edge_id)`` at QoS 1 with a clean session:
requests sent while the edge was away are stale by the time it is back. paho's network thread
only decodes and queues; one worker thread builds and publishes the answers, so a JPEG being
encoded never delays the keepalive, and the camera threads never see a request at all.

A request is dropped, never answered, when it is retained (delivered because it was stored,
not because it was just sent) or received or finished after its deadline: central has given
up on it by then. A full queue is answered at once with ``error`` (busy) rather than dropped,
so central learns it without waiting for its timeout. A request this edge cannot read (a kind
from a newer central) is answered with ``error`` when its id can be read, for the same reason.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import ContractError, decode_message, encode_framed
from gridwatch_contract.edge_requests import (
    MAX_REQUEST_TTL_S,
    EdgeRequest,
    EdgeResponse,
    ResponseStatus,
)
from gridwatch_contract.framing import frame_header
from gridwatch_contract.subscription import Subscription, TopicFilter
from gridwatch_contract.topics import validate_id
from gridwatch_edge.config import EdgeConfig
from gridwatch_edge.requests.answers import Answerer, CameraLookup, ResponseLimits

logger = logging.getLogger(__name__)

REQUEST_QOS: Final = 1
RESPONSE_QOS: Final = 1
# Requests waiting for the worker. One answer takes a few milliseconds (a JPEG of one frame),
# so 32 is a burst of a whole control room at once; beyond it the edge says it is busy.
QUEUE_SIZE: Final = 32
# A request as small as ours is under 400 bytes; anything far larger is not one.
MAX_REQUEST_BYTES: Final = 16 * 1024
# How long close() waits for the worker to finish the answer in hand.
CLOSE_TIMEOUT_S: Final = 5.0


class RequestHandler:
    def __init__(
        self,
        broker: BrokerConfig,
        edge_id: str,
        cameras: CameraLookup,
        limits: ResponseLimits,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._broker = broker
        self._edge_id = edge_id
        self._requests_topic = broker.topics.edge_requests(edge_id)
        self._responses_topic = broker.topics.edge_responses(edge_id)
        self._limits = limits
        self._clock = clock
        self._answerer = Answerer(edge_id, cameras, limits, clock=clock)
        self._queue: queue.Queue[EdgeRequest | None] = queue.Queue(maxsize=QUEUE_SIZE)
        self._link = Subscription(
            broker,
            broker.client_id("edge", edge_id, "requests"),
            [TopicFilter(self._requests_topic, REQUEST_QOS)],
            self._on_message,
            name="requests client",
        )
        self._client = self._link.client
        self._worker = threading.Thread(target=self._work, name="edge-requests", daemon=True)
        self._started = False
        self._counts_lock = threading.Lock()
        self._counts: dict[str, int] = dict.fromkeys(
            ("answered", "busy", "expired", "retained", "unreadable", "not_for_us"), 0
        )

    @classmethod
    def for_edge(cls, config: EdgeConfig, cameras: CameraLookup) -> RequestHandler:
        """The handler of the box ``config`` describes: answers fit the broker's packet limit."""
        limits = ResponseLimits(config.alert_payload_max_bytes, config.snapshot_max_bytes)
        return cls(config.broker, config.edge_id, cameras, limits)

    def start(self) -> None:
        """Connect in the background; paho retries a broker that is down."""
        self._worker.start()
        self._link.start()
        self._started = True

    def wait_subscribed(self, timeout_s: float) -> bool:
        """For tests and tools: True once the broker confirmed the subscription."""
        return self._link.wait_subscribed(timeout_s)

    def close(self) -> None:
        if not self._started:
            return
        self._started = False
        self._link.stop()
        _drain(self._queue)
        self._queue.put(None)
        self._worker.join(CLOSE_TIMEOUT_S)

    def _on_message(self, message: mqtt.MQTTMessage) -> None:
        try:
            self._receive(bytes(message.payload), retained=bool(message.retain))
        except Exception:  # never let paho's network thread die on one bad request
            logger.exception("handling a request failed")

    def _receive(self, payload: bytes, *, retained: bool) -> None:
        if not payload:  # someone cleared a retained request: nothing was asked
            return
        if retained:  # stored by the broker, so not sent just now: stale by definition
            self._count("retained")
            return
        try:
            request = decode_message(EdgeRequest, payload, max_bytes=MAX_REQUEST_BYTES)
        except ContractError as error:
            self._refuse_unreadable(payload, error)
            return
        if request.edge_id != self._edge_id:
            self._count("not_for_us")
            logger.warning(
                "request %s is for edge %s, not this one", request.request_id, request.edge_id
            )
            return
        if self._expired(request, "received"):
            return
        try:
            self._queue.put_nowait(request)
        except queue.Full:
            self._count("busy")
            reason = f"busy: {QUEUE_SIZE} requests already waiting"
            self._publish(self._answerer.failure(request, ResponseStatus.ERROR, reason), request)

    def _work(self) -> None:
        while (request := self._queue.get()) is not None:
            try:
                if not self._expired(request, "taken up"):
                    self._publish(self._answerer.answer(request), request)
            except Exception:  # one failed answer must not end answering
                logger.exception("answering request %s failed", request.request_id)

    def _expired(self, request: EdgeRequest, when: str) -> bool:
        now = self._clock()
        if now <= request.deadline:
            return False
        self._count("expired")
        # A request that is always late on arrival usually means this box's clock is off.
        logger.warning(
            "request %s dropped: %s %.1f s after it was sent, past its deadline"
            " (a clock off by that much causes this too)",
            request.request_id,
            when,
            (now - request.requested_at).total_seconds(),
        )
        return True

    def _publish(self, response: EdgeResponse, request: EdgeRequest) -> None:
        payload = encode_framed(response)
        if len(payload) > self._limits.message_max_bytes:  # the size estimate's proof
            reason = f"response of {len(payload)} bytes exceeds {self._limits.message_max_bytes}"
            payload = encode_framed(self._answerer.failure(request, ResponseStatus.ERROR, reason))
        # The broker drops an answer it cannot deliver before central stops waiting for it.
        self._send(payload, (request.deadline - self._clock()).total_seconds())
        self._count("answered")

    def _send(self, payload: bytes, expiry_s: float) -> None:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.MessageExpiryInterval = max(1, math.ceil(expiry_s))
        self._client.publish(
            self._responses_topic, payload, qos=RESPONSE_QOS, retain=False, properties=properties
        )

    def _refuse_unreadable(self, payload: bytes, error: ContractError) -> None:
        """Answer ``error`` to a request this edge cannot read, if its ids can be read."""
        self._count("unreadable")
        logger.warning("unreadable request: %s", error)
        ids = _request_ids(payload)
        if ids is None:
            return
        request_id, camera_id = ids
        response = EdgeResponse(
            request_id=request_id,
            edge_id=self._edge_id,
            camera_id=camera_id,
            status=ResponseStatus.ERROR,
            reason=f"request not understood by this edge: {error}"[:500],
            responded_at=self._clock(),
        )
        self._send(encode_framed(response), MAX_REQUEST_TTL_S)

    def counts(self) -> dict[str, int]:
        """Requests by what became of them: answered (busy included), or dropped and why."""
        with self._counts_lock:
            return dict(self._counts)

    def _count(self, what: str) -> None:
        with self._counts_lock:
            self._counts[what] += 1


def _request_ids(payload: bytes) -> tuple[uuid.UUID, str] | None:
    """``request_id`` and ``camera_id`` of a request that failed validation, if readable."""
    try:
        document = json.loads(frame_header(payload))
        return uuid.UUID(str(document["request_id"])), validate_id(str(document["camera_id"]))
    except (ValueError, KeyError, TypeError):  # JSONDecodeError and UnicodeError are ValueErrors
        return None


def _drain(pending: queue.Queue[EdgeRequest | None]) -> None:
    while True:
        try:
            pending.get_nowait()
        except queue.Empty:
            return
