"""MQTT messages in, one typed outcome per message out: stored, duplicate or rejected.

A payload that breaks the contract (or that decoding and preparing fail on in any other way,
or whose ids differ from its topic's) is quarantined and reported, never raised: one bad sender
must not stop the stream. What ``prepare`` does raise is an outage of the store (``failures``);
``store`` raises on any failure and ``resilient`` decides what it was: an outage is waited out
with the broker acks withheld, a message the database refuses is quarantined on its own.

Messages are handled in batches: one transaction (and one snapshot flush) for many alerts;
``handle`` is a batch of one. The batch's new alerts are placed into incidents (merging by
category, place and time, ``incidents.placement``) with a fixed number of statements, then
inserted in bulk already linked to their incident and case, in the same transaction: an alert
and its incident (and an auto-verified case) are committed together or not at all.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.categories import CategoryMap
from gridwatch_central.db import repository, snapshot_repository
from gridwatch_central.db.engine import run_in_transaction
from gridwatch_central.grid.locate import Located, Locator
from gridwatch_central.incidents import AlertFacts
from gridwatch_central.ingest.alert_store import AlertStore, AlertToStore, StoredAlert
from gridwatch_central.ingest.failures import (
    TOPIC_MISMATCH,
    UNPROCESSABLE,
    Failure,
    classify,
    describe,
)
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.ingest.quarantine import QUARANTINE_PREFIX_BYTES, Rejected
from gridwatch_central.ingest.stream import IncomingMessage, database_answers
from gridwatch_central.review import ReviewService
from gridwatch_central.routing import Router
from gridwatch_central.snapshots import SnapshotStore, StoredSnapshot
from gridwatch_contract.codec import ContractError, decode_alert
from gridwatch_contract.framing import frame_header
from gridwatch_contract.messages import AlertMessage, Snapshot
from gridwatch_contract.topics import AlertTopic, Topics

log = logging.getLogger(__name__)

Status = Literal["stored", "duplicate", "rejected"]

__all__ = ["IncomingMessage", "IngestOutcome", "IngestService", "Prepared", "PreparedAlert"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    status: Status
    alert_id: uuid.UUID | None = None
    edge_id: str | None = None
    incident_id: int | None = None
    case_id: int | None = None
    code: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PreparedAlert:
    """A valid alert with what ingest worked out before the transaction."""

    # Without its snapshot bytes: they are in a pack by now (see where they went), and 30 KB
    # held per alert until its batch commits made every decode allocate fresh memory (page
    # faults), which cost several times the decoding itself.
    alert: AlertMessage
    topic: str
    received_at: datetime
    # Enough of the message to quarantine it should the database refuse it after all: its JSON
    # header (bounded) and its size. Not the whole payload, for the reason above.
    header: bytes
    size: int
    located: Located
    snapshot: StoredSnapshot | None
    clean_snapshot: StoredSnapshot | None
    # Its row in ``alerts`` but for incident_id and case_id: built here, outside the
    # transaction and its locks, which other central processes may be waiting for.
    row: dict[str, Any]
    category: str

    @property
    def to_store(self) -> AlertToStore:
        facts = AlertFacts.of_message(self.alert)
        sha256 = _sha256(self.snapshot)
        return AlertToStore(
            facts, self.received_at, sha256, self.located.grid, self.category, self.row
        )

    def rejected(self, code: str, reason: str) -> Rejected:
        """This alert quarantined after all, with the part of it ingest still holds."""
        return Rejected(
            topic=self.topic,
            received_at=self.received_at,
            code=code,
            reason=reason,
            kept=self.header,
            size=self.size,
            sha256=None,
            alert_id=self.alert.alert_id,
        )


Prepared = PreparedAlert | Rejected
"""A message ready for ``IngestService.store``: a valid alert or a rejection to quarantine."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IngestService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        locator: Locator,
        snapshots: SnapshotStore,
        metrics: IngestMetrics,
        *,
        categories: CategoryMap,
        router: Router,
        review: ReviewService,
        topics: Topics,
        max_payload_bytes: int,
        sync_snapshots: bool = True,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = sessions
        self._locator = locator
        self._snapshots = snapshots
        self._metrics = metrics
        self._categories = categories
        self._alerts = AlertStore(router, review)
        self._topics = topics
        self._max_payload_bytes = max_payload_bytes
        self._sync_snapshots = sync_snapshots
        self.clock = clock

    def handle(self, topic: str, payload: bytes) -> IngestOutcome:
        return self.handle_batch([IncomingMessage(topic, payload, self.clock())])[0]

    def handle_batch(self, messages: Sequence[IncomingMessage]) -> list[IngestOutcome]:
        """Store or quarantine every message in one transaction; outcomes in message order."""
        return self.store([self.prepare(m) for m in messages])

    def prepare(self, message: IncomingMessage, *, again: bool = False) -> Prepared:
        """Decode, write the snapshots, locate: the work that needs no transaction.

        The consumer runs it on its preparer thread while the storer thread commits the
        previous batch, so decoding and file writes overlap the database round trips. Raises
        only for an outage of the store (the snapshot disk, the database behind the grid):
        the message is then held and prepared ``again`` (not counted twice).
        """
        if not again:
            self._metrics.received.inc()
        try:
            alert = decode_alert(message.payload, max_bytes=self._max_payload_bytes)
        except ContractError as error:
            return self._reject(message, error.code, error.reason)
        except Exception as error:  # a parser limit or bug no ContractError names: its fault
            return self._reject(message, UNPROCESSABLE, describe(error))
        if message.check_topic and (mismatch := self._topic_mismatch(message.topic, alert)):
            return self._reject(message, TOPIC_MISMATCH, mismatch)
        try:
            return self._prepared(message, alert)
        except Exception as error:
            if classify(error) is not Failure.MESSAGE:
                raise  # the store's environment, not the message: held and retried
            log.exception("could not prepare alert %s; quarantined", alert.alert_id)
            return self._reject(message, UNPROCESSABLE, describe(error))

    def _prepared(self, message: IncomingMessage, alert: AlertMessage) -> PreparedAlert:
        # Written before the transaction: a rollback leaves at worst unindexed bytes in a pack
        # (retention removes the pack), never an index row without its image.
        located = self._locator.locate(alert)
        snapshot = self._write_snapshot(alert.snapshot)
        clean = self._write_snapshot(alert.clean_snapshot)
        row = _alert_values(alert, message.received_at, located, snapshot, clean)
        slim = alert.model_copy(update={"snapshot": None, "clean_snapshot": None})
        header = frame_header(message.payload)[:QUARANTINE_PREFIX_BYTES]
        size = len(message.payload)
        category = self._categories.category_for(alert.event_type).code
        return PreparedAlert(
            slim,
            message.topic,
            message.received_at,
            header,
            size,
            located,
            snapshot,
            clean,
            row,
            category,
        )

    def _reject(self, message: IncomingMessage, code: str, reason: str) -> Rejected:
        return Rejected.of_payload(
            message.topic, message.payload, message.received_at, code, reason
        )

    def _topic_mismatch(self, topic: str, alert: AlertMessage) -> str | None:
        """Why ``alert`` does not belong on ``topic``; None when it does."""
        named = AlertTopic(alert.edge_id, alert.camera_id, alert.event_type.value)
        on = self._topics.parse_alert(topic)
        if on == named:
            return None
        return (
            f"the payload names edge {named.edge_id!r}, camera {named.camera_id!r}, event type"
            f" {named.event_type!r}; its topic {topic!r} does not"
        )

    def database_answers(self) -> bool:
        """Whether the database answers a trivial query now (an outage's end, or not one)."""
        return database_answers(self._sessions)

    def store(self, prepared: Sequence[Prepared]) -> list[IngestOutcome]:
        """Commit prepared messages in one transaction; outcomes in the same order."""
        valid = [item for item in prepared if isinstance(item, PreparedAlert)]
        rejected = [item for item in prepared if isinstance(item, Rejected)]
        index_rows = _snapshot_index_rows(valid)
        if index_rows and self._sync_snapshots:
            # Images reach the disk before the rows that reference them are committed.
            self._snapshots.sync()

        def transaction(session: Session) -> dict[uuid.UUID, StoredAlert]:
            repository.insert_quarantine(session, [item.row() for item in rejected])
            snapshot_repository.insert_index_rows(session, index_rows)
            return self._alerts.store(session, [item.to_store for item in valid])

        stored = run_in_transaction(self._sessions, transaction)
        return [self._outcome(item, stored) for item in prepared]

    def _write_snapshot(self, snapshot: Snapshot | None) -> StoredSnapshot | None:
        if snapshot is None or snapshot.data is None:
            return None
        return self._snapshots.write(snapshot.data)

    def _outcome(self, item: Prepared, stored: dict[uuid.UUID, StoredAlert]) -> IngestOutcome:
        if isinstance(item, Rejected):
            return self.rejected_outcome(item)
        alert = item.alert
        # pop: within one batch only the first copy of an alert_id counts as stored.
        linked = stored.pop(alert.alert_id, None)
        if linked is None:
            self._metrics.duplicates.inc()
            return IngestOutcome("duplicate", alert.alert_id, alert.edge_id)
        self._metrics.stored.inc()
        return IngestOutcome(
            "stored",
            alert.alert_id,
            alert.edge_id,
            incident_id=linked.incident_id,
            case_id=linked.case_id,
        )

    def rejected_outcome(self, item: Rejected) -> IngestOutcome:
        """The outcome of a quarantined message (counted), for its sender's receipt."""
        self._metrics.rejected.labels(code=item.code).inc()
        return IngestOutcome("rejected", item.alert_id, code=item.code, reason=item.reason)


def _sha256(stored: StoredSnapshot | None) -> str | None:
    return stored.sha256 if stored is not None else None


def _snapshot_index_rows(batch: Sequence[PreparedAlert]) -> list[dict[str, Any]]:
    """One ``snapshot_index`` row per image of the batch, sorted by hash (see
    ``snapshot_repository.insert_index_rows``); the newest copy of a repeated image wins."""
    rows: dict[str, dict[str, Any]] = {}
    for item in batch:
        for stored in (item.snapshot, item.clean_snapshot):
            if stored is not None:
                rows[stored.sha256] = {
                    "sha256": stored.sha256,
                    "pack": stored.pack,
                    "offset": stored.offset,
                    "length": stored.length,
                    "stored_at": item.received_at,
                }
    return [rows[sha256] for sha256 in sorted(rows)]


def _alert_values(
    alert: AlertMessage,
    received_at: datetime,
    located: Located,
    snapshot: StoredSnapshot | None,
    clean_snapshot: StoredSnapshot | None,
) -> dict[str, Any]:
    codes = located.grid.codes if located.grid else (None, None, None)
    return {
        "alert_id": alert.alert_id,
        "event_id": alert.event_id,
        "sequence": alert.sequence,
        "edge_id": alert.edge_id,
        "camera_id": alert.camera_id,
        "event_type": alert.event_type.value,
        "rule_id": alert.rule_id,
        "zone_id": alert.zone_id,
        "state": alert.state.value,
        "started_at": alert.started_at,
        "updated_at": alert.updated_at,
        "received_at": received_at,
        "confidence": alert.confidence,
        # One dump of the whole list: a call per object costs several times more per alert.
        "objects": alert.model_dump(mode="json", include={"objects"})["objects"],
        "measurements": dict(alert.measurements),
        # The point the grid was assigned from (see grid.locate), not necessarily the edge's.
        "lat": located.lat,
        "lon": located.lon,
        "location_source": located.source,
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "snapshot_sha256": _sha256(snapshot),
        "clean_snapshot_sha256": _sha256(clean_snapshot),
        "model_name": alert.model.name,
        "model_version": alert.model.version,
        "clip_id": alert.clip_id,
        "source": "camera",
    }
