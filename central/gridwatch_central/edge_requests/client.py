"""Central's side of edge requests: many callers, one MQTT client, answers matched by id.

One connection subscribes once to every edge's responses (``edges/+/responses``) and to every
edge's retained status (``edges/+/status``). ``submit_snapshot`` publishes an ``EdgeRequest``
and returns a future that the matching response resolves, or the deadline (``timeout``), or
the edge's offline status (its last will: ``edge_offline`` at once, nobody waits for a box
that is gone), whichever comes first. Any number of threads (and ``async`` code, through
``asyncio.wrap_future``) may ask at once; at most ``max_outstanding`` requests wait at a time,
the next ones fail ``busy`` at once.

A response whose id is unknown (answered already, expired, or sent to another central
process: each one subscribes to all responses) is ignored and counted. The session is clean:
after a restart nobody waits for the requests of the previous run.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Final

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gridwatch_central.edge_requests.metrics import EdgeRequestMetrics
from gridwatch_central.edge_requests.pending import PendingRequest, PendingTable
from gridwatch_central.edge_requests.results import (
    FAILURE_OF_STATUS,
    SnapshotFailed,
    SnapshotFailure,
    SnapshotOk,
    SnapshotResult,
)
from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import ContractError, decode_message, encode_message
from gridwatch_contract.edge_requests import (
    MAX_REQUEST_TTL_S,
    EdgeRequest,
    EdgeResponse,
    RequestKind,
    ResponseStatus,
)
from gridwatch_contract.messages import EdgeAvailability, EdgeStatusMessage
from gridwatch_contract.subscription import Subscription, TopicFilter
from gridwatch_contract.topics import validate_id

log = logging.getLogger(__name__)

REQUEST_QOS: Final = 1
RESPONSE_QOS: Final = 1
STATUS_QOS: Final = 1
# Enough for every console user and every camera of a burst of sensor alarms at once; each
# waiting request is a few hundred bytes here, but an edge answers them one by one.
DEFAULT_MAX_OUTSTANDING: Final = 256
# The shortest wait that makes sense: a round trip to an edge on a LAN takes tens of ms.
MIN_TIMEOUT_S: Final = 0.05
# How much longer than its timeout request_snapshot() blocks, as a guard only: the expiry
# thread resolves every request at its deadline.
RESULT_GRACE_S: Final = 5.0
SNAPSHOT: Final = RequestKind.SNAPSHOT.value


class EdgeRequestError(RuntimeError):
    """The client could not get subscribed to the edges' responses."""


class EdgeRequestClient:
    def __init__(
        self,
        broker: BrokerConfig,
        *,
        client_id: str,
        metrics: EdgeRequestMetrics,
        max_outstanding: int = DEFAULT_MAX_OUTSTANDING,
        max_payload_bytes: int,
    ) -> None:
        self._broker = broker
        self._topics = broker.topics
        self._metrics = metrics
        self._max_payload_bytes = max_payload_bytes
        self._pending = PendingTable(max_outstanding, self._expired)
        metrics.watch_outstanding(lambda: len(self._pending))
        self._availability: dict[str, EdgeAvailability] = {}
        filters = [
            TopicFilter(self._topics.all_edge_responses(), RESPONSE_QOS),
            TopicFilter(self._topics.all_edge_status(), STATUS_QOS),
        ]
        self._link = Subscription(
            broker, client_id, filters, self._on_message, name="edge request client"
        )
        self._client = self._link.client
        # Each request is one small QoS 1 publish: paho's default of 20 in flight would queue
        # a burst of alarm pictures behind one another's PUBACKs.
        self._client.max_inflight_messages_set(max_outstanding)

    @property
    def connected(self) -> bool:
        return self._link.connected

    @property
    def metrics(self) -> EdgeRequestMetrics:
        return self._metrics

    @property
    def outstanding(self) -> int:
        return len(self._pending)

    def start(self, timeout_s: float) -> None:
        """Connect and block until the broker confirms the subscriptions."""
        self._pending.start()
        self._link.start()
        if not self._link.wait_subscribed(timeout_s):
            self.stop()
            raise EdgeRequestError(self._link.failure(timeout_s))

    def stop(self) -> None:
        """Disconnect; every request still waiting fails ``not_connected``."""
        for entry in self._pending.stop():
            self._fail(entry, SnapshotFailure.NOT_CONNECTED, "central is shutting down")
        self._link.stop()

    def edge_availability(self, edge_id: str) -> EdgeAvailability | None:
        """The edge's last retained status; None if it never announced one."""
        return self._availability.get(edge_id)

    def request_snapshot(
        self, edge_id: str, camera_id: str, timeout_s: float, *, max_width: int | None = None
    ) -> SnapshotResult:
        """The camera's latest frame from its edge, or why not; blocks at most ``timeout_s``."""
        future = self.submit_snapshot(edge_id, camera_id, timeout_s, max_width=max_width)
        return future.result(timeout_s + RESULT_GRACE_S)

    def submit_snapshot(
        self, edge_id: str, camera_id: str, timeout_s: float, *, max_width: int | None = None
    ) -> Future[SnapshotResult]:
        """Send the request now; the future resolves within ``timeout_s``, never raises.

        ``timeout_s`` is clamped to ``MIN_TIMEOUT_S``..``MAX_REQUEST_TTL_S``; ids must be valid
        topic levels (``ValueError`` otherwise).
        """
        validate_id(edge_id, "edge_id")
        validate_id(camera_id, "camera_id")
        timeout_s = min(max(timeout_s, MIN_TIMEOUT_S), MAX_REQUEST_TTL_S)
        entry = PendingRequest(
            uuid.uuid4(), edge_id, camera_id, deadline=time.monotonic() + timeout_s
        )
        if not self.connected:
            self._fail(entry, SnapshotFailure.NOT_CONNECTED, "central has no broker connection")
        elif self._availability.get(edge_id) is EdgeAvailability.OFFLINE:
            self._fail(entry, SnapshotFailure.EDGE_OFFLINE, f"edge {edge_id} is offline")
        elif not self._pending.add(entry):
            reason = "too many requests to edges are waiting for answers; retry shortly"
            self._fail(entry, SnapshotFailure.BUSY, reason)
        else:
            self._send(entry, timeout_s, max_width)
        return entry.future

    def _send(self, entry: PendingRequest, timeout_s: float, max_width: int | None) -> None:
        now = datetime.now(UTC)
        request = EdgeRequest(
            request_id=entry.request_id,
            kind=RequestKind.SNAPSHOT,
            edge_id=entry.edge_id,
            camera_id=entry.camera_id,
            max_width=max_width,
            requested_at=now,
            deadline=now + timedelta(seconds=timeout_s),
        )
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        # The broker drops a request it could not deliver in time (an edge reconnecting).
        properties.MessageExpiryInterval = math.ceil(timeout_s)
        info = self._client.publish(
            self._topics.edge_requests(entry.edge_id),
            encode_message(request),
            qos=REQUEST_QOS,
            retain=False,
            properties=properties,
        )
        # NO_CONN is queued by paho for the reconnect; anything else never leaves.
        failed = info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN)
        if failed and self._pending.take(entry.request_id, entry.edge_id) is not None:
            reason = f"publishing the request failed: {mqtt.error_string(info.rc)}"
            self._fail(entry, SnapshotFailure.NOT_CONNECTED, reason)

    def _on_message(self, message: mqtt.MQTTMessage) -> None:
        try:
            edge_id, what = _edge_topic(message.topic)
            if what == "status":
                self._status(edge_id, bytes(message.payload))
            else:
                self._response(edge_id, bytes(message.payload))
        except Exception:  # never let paho's network thread die on one message
            log.exception("handling %s failed", message.topic)

    def _status(self, edge_id: str, payload: bytes) -> None:
        if not payload:  # a cleared retained status: nothing known any more
            self._availability.pop(edge_id, None)
            return
        try:
            status = decode_message(EdgeStatusMessage, payload)
        except ContractError as error:
            log.warning("edge %s: unreadable status: %s", edge_id, error)
            return
        self._availability[edge_id] = status.state
        if status.state is EdgeAvailability.OFFLINE:
            for entry in self._pending.take_edge(edge_id):
                self._fail(entry, SnapshotFailure.EDGE_OFFLINE, f"edge {edge_id} went offline")

    def _response(self, edge_id: str, payload: bytes) -> None:
        try:
            response = decode_message(EdgeResponse, payload, max_bytes=self._max_payload_bytes)
        except ContractError as error:
            log.warning("edge %s: invalid response: %s", edge_id, error)
            self._metrics.ignored("invalid")
            return
        if response.edge_id != edge_id:  # the topic is what the broker's ACL vouches for
            self._metrics.ignored("wrong_edge")
            return
        entry = self._pending.take(response.request_id, edge_id)
        if entry is None:
            self._metrics.ignored("unknown_request")
        elif response.camera_id != entry.camera_id:
            reason = f"edge answered for camera {response.camera_id}, not {entry.camera_id}"
            self._fail(entry, SnapshotFailure.EDGE_ERROR, reason)
        else:
            self._resolve(entry, _result(entry, response))

    def _expired(self, entry: PendingRequest) -> None:
        waited = time.monotonic() - entry.sent_at
        reason = f"edge {entry.edge_id} did not answer within {waited:.1f} s"
        self._fail(entry, SnapshotFailure.TIMEOUT, reason)

    def _fail(self, entry: PendingRequest, failure: SnapshotFailure, reason: str) -> None:
        self._resolve(entry, SnapshotFailed(entry.edge_id, entry.camera_id, failure, reason))

    def _resolve(self, entry: PendingRequest, result: SnapshotResult) -> None:
        if isinstance(result, SnapshotOk):
            self._metrics.resolved(SNAPSHOT, "ok")
            self._metrics.answered(SNAPSHOT, result.round_trip_s)
        else:
            self._metrics.resolved(SNAPSHOT, result.failure.value)
        entry.future.set_result(result)


def _result(entry: PendingRequest, response: EdgeResponse) -> SnapshotResult:
    snapshot = response.snapshot
    if response.status is ResponseStatus.OK:
        # The contract guarantees these with status ok.
        assert snapshot is not None
        assert snapshot.data is not None
        assert response.captured_at is not None
        return SnapshotOk(
            edge_id=entry.edge_id,
            camera_id=response.camera_id,
            jpeg=snapshot.data,
            width=snapshot.width,
            height=snapshot.height,
            captured_at=response.captured_at,
            round_trip_s=time.monotonic() - entry.sent_at,
        )
    reason = response.reason or response.status.value
    return SnapshotFailed(
        entry.edge_id, entry.camera_id, FAILURE_OF_STATUS[response.status], reason
    )


def _edge_topic(topic: str) -> tuple[str, str]:
    """``(edge_id, "status" | "responses")`` of ``{prefix}/v1/edges/{edge_id}/{what}``."""
    *_root, edge_id, what = topic.rsplit("/", 2)
    return edge_id, what
