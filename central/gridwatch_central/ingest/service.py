"""MQTT messages in, one typed outcome per message out: stored, duplicate or rejected.

A payload that breaks the contract is quarantined and reported, never raised: one bad sender
must not stop the stream. A storage failure does raise, so the consumer withholds the broker
acks and the messages are delivered again.

Messages are handled in batches: one transaction (and one snapshot flush) for many alerts is
what makes thousands of alerts a second possible; ``handle`` is a batch of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import repository
from gridwatch_central.db.engine import run_in_transaction
from gridwatch_central.grid import GridIndex
from gridwatch_central.ingest.cases import CasePolicy, PreparedAlert, store_alerts
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.snapshots import SnapshotStore
from gridwatch_contract.codec import ContractError, decode_alert

Status = Literal["stored", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    status: Status
    alert_id: uuid.UUID | None = None
    edge_id: str | None = None
    case_id: int | None = None
    code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message as received; ``received_at`` is the server clock at arrival."""

    topic: str
    payload: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class _Rejected:
    message: IncomingMessage
    error: ContractError


Prepared = PreparedAlert | _Rejected
"""A message ready for ``IngestService.store``: a valid alert or a rejection to quarantine."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IngestService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        grid: GridIndex,
        snapshots: SnapshotStore,
        metrics: IngestMetrics,
        policy: CasePolicy,
        *,
        max_payload_bytes: int,
        sync_snapshots: bool = True,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = sessions
        self._grid = grid
        self._snapshots = snapshots
        self._metrics = metrics
        self._policy = policy
        self._max_payload_bytes = max_payload_bytes
        self._sync_snapshots = sync_snapshots
        self.clock = clock

    def handle(self, topic: str, payload: bytes) -> IngestOutcome:
        return self.handle_batch([IncomingMessage(topic, payload, self.clock())])[0]

    def handle_batch(self, messages: Sequence[IncomingMessage]) -> list[IngestOutcome]:
        """Store or quarantine every message in one transaction; outcomes in message order."""
        return self.store([self.prepare(m) for m in messages])

    def store(self, prepared: Sequence[Prepared]) -> list[IngestOutcome]:
        """Commit prepared messages in one transaction; outcomes in the same order."""
        valid = [item for item in prepared if isinstance(item, PreparedAlert)]
        rejected = [item for item in prepared if isinstance(item, _Rejected)]
        if valid and self._sync_snapshots and any(p.snapshot_sha256 for p in valid):
            # Images reach the disk before the rows that reference them are committed.
            self._snapshots.sync()

        def transaction(session: Session) -> dict[uuid.UUID, int]:
            repository.insert_quarantine(session, [_quarantine_row(r) for r in rejected])
            return store_alerts(session, valid, self._policy)

        stored = run_in_transaction(self._sessions, transaction)
        return [self._outcome(item, stored) for item in prepared]

    def prepare(self, message: IncomingMessage) -> Prepared:
        """Decode, write the snapshot, locate: the work that needs no transaction.

        The consumer runs it on the MQTT thread while the storer thread commits the previous
        batch, so decoding and file writes overlap the database round trips.
        """
        self._metrics.received.inc()
        try:
            alert = decode_alert(message.payload, max_bytes=self._max_payload_bytes)
        except ContractError as error:
            return _Rejected(message, error)
        snapshot = alert.snapshot.data if alert.snapshot is not None else None
        # Written before the transaction: content-addressed, so a rollback leaves at worst an
        # unreferenced file (retention removes it), and a redelivery rewrites nothing.
        snapshot_hash = self._snapshots.write(snapshot) if snapshot is not None else None
        location = alert.location
        grid = self._grid.locate(location.lat, location.lon) if location is not None else None
        return PreparedAlert(alert, message.received_at, grid, snapshot_hash)

    def _outcome(
        self, item: PreparedAlert | _Rejected, stored: dict[uuid.UUID, int]
    ) -> IngestOutcome:
        if isinstance(item, _Rejected):
            self._metrics.rejected.labels(code=item.error.code).inc()
            return IngestOutcome("rejected", code=item.error.code, reason=item.error.reason)
        alert = item.alert
        # pop: within one batch only the first copy of an alert_id counts as stored.
        case_id = stored.pop(alert.alert_id, None)
        if case_id is None:
            self._metrics.duplicates.inc()
            return IngestOutcome("duplicate", alert.alert_id, alert.edge_id)
        self._metrics.stored.inc()
        return IngestOutcome("stored", alert.alert_id, alert.edge_id, case_id=case_id)


def _quarantine_row(rejected: _Rejected) -> dict[str, object]:
    message = rejected.message
    return {
        "topic": message.topic,
        "payload": message.payload,
        "error_code": rejected.error.code,
        "reason": rejected.error.reason,
        "received_at": message.received_at,
    }
