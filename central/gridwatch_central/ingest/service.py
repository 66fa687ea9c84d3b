"""One MQTT message in, one typed outcome out: stored, duplicate or rejected.

A payload that breaks the contract is quarantined and reported, never raised: one bad sender
must not stop the stream. A storage failure does raise, so the consumer withholds the broker
ack and the message is delivered again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.categories import CategoryMap
from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db import repository
from gridwatch_central.grid.locate import Located, Locator
from gridwatch_central.incidents import attach_to_incident
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.review import ReviewService
from gridwatch_central.routing import Router
from gridwatch_central.snapshots import SnapshotStore
from gridwatch_contract.codec import ContractError, decode_alert
from gridwatch_contract.messages import AlertMessage, Snapshot

Status = Literal["stored", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    status: Status
    alert_id: uuid.UUID | None = None
    edge_id: str | None = None
    incident_id: int | None = None
    case_id: int | None = None
    code: str | None = None
    reason: str | None = None


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
        max_payload_bytes: int,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sessions = sessions
        self._locator = locator
        self._snapshots = snapshots
        self._metrics = metrics
        self._categories = categories
        self._router = router
        self._review = review
        self._max_payload_bytes = max_payload_bytes
        self._clock = clock

    def handle(self, topic: str, payload: bytes) -> IngestOutcome:
        self._metrics.received.inc()
        received_at = self._clock()
        try:
            alert = decode_alert(payload, max_bytes=self._max_payload_bytes)
        except ContractError as error:
            return self._reject(topic, payload, error, received_at)
        outcome = self._store(alert, received_at)
        counter = self._metrics.stored if outcome.status == "stored" else self._metrics.duplicates
        counter.inc()
        return outcome

    def _store(self, alert: AlertMessage, received_at: datetime) -> IngestOutcome:
        # Saved before the transaction: content-addressed, so a rollback leaves at worst an
        # unreferenced file, and a redelivery rewrites nothing.
        snapshot_hash = self._save_snapshot(alert.snapshot)
        clean_hash = self._save_snapshot(alert.clean_snapshot)
        located = self._locator.locate(alert)
        with self._sessions.begin() as session:
            values = _alert_values(alert, received_at, located, snapshot_hash)
            values["clean_snapshot_sha256"] = clean_hash
            row_id = repository.insert_alert(session, values)
            if row_id is None:
                return IngestOutcome("duplicate", alert.alert_id, alert.edge_id)
            category = self._categories.category_for(alert.event_type.value)
            policy = self._router.policy_or_none(category.code)
            if policy is None:
                # Stored and acked, but nothing to govern (e.g. camera_offline has no route).
                return IngestOutcome("stored", alert.alert_id, alert.edge_id)
            incident = attach_to_incident(
                session,
                alert,
                row_id,
                policy=policy,
                grid=located.grid,
                received_at=received_at,
                snapshot_hash=snapshot_hash,
            )
            case = incidents.case_of_incident(session, incident.id)
            if case is None:
                case = self._review.auto_verify(session, incident)
            case_id = case.id if case is not None else None
        return IngestOutcome(
            "stored", alert.alert_id, alert.edge_id, incident_id=incident.id, case_id=case_id
        )

    def _save_snapshot(self, snapshot: Snapshot | None) -> str | None:
        if snapshot is None or snapshot.data is None:
            return None
        return self._snapshots.save(snapshot.data)

    def _reject(
        self, topic: str, payload: bytes, error: ContractError, received_at: datetime
    ) -> IngestOutcome:
        with self._sessions.begin() as session:
            repository.insert_quarantine(
                session,
                {
                    "topic": topic,
                    "payload": payload,
                    "error_code": error.code,
                    "reason": error.reason,
                    "received_at": received_at,
                },
            )
        self._metrics.rejected.labels(code=error.code).inc()
        return IngestOutcome("rejected", code=error.code, reason=error.reason)


def _alert_values(
    alert: AlertMessage,
    received_at: datetime,
    located: Located,
    snapshot_hash: str | None,
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
        "objects": [obj.model_dump(mode="json") for obj in alert.objects],
        "measurements": dict(alert.measurements),
        # The point the grid was assigned from (see grid.locate), not necessarily the edge's.
        "lat": located.lat,
        "lon": located.lon,
        "location_source": located.source,
        "grid_l1_code": codes[0],
        "grid_l2_code": codes[1],
        "grid_l3_code": codes[2],
        "snapshot_sha256": snapshot_hash,
        "model_name": alert.model.name,
        "model_version": alert.model.version,
    }
