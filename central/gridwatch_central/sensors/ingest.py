"""Sensor batches in, rules evaluated in the ingest path, only alarms out as alerts.

The second stream of the ingest pipeline (``ingest.stream``): the consumer's stages, outage
hold, batch bisection, quarantine and progress are the camera alerts' own. ``prepare`` decodes
a batch and checks each record against the registry outside any transaction: a record of an
unknown sensor, of another gateway's sensor, of an unknown or wrong type, with a value outside
its type's range or dated far in the future is quarantined on its own with its reason, and
the rest of the batch goes on. ``store`` commits a whole run of batches in one transaction:
batch ids (idempotency), the touched sensors' states (locked, so every central process agrees),
the samples kept, and the alerts the rules raised, through the one alert path into incidents.

Readings are not alerts. A reading updates its sensor's state and is kept as a sample only
when it changes the state or the sample interval has passed; at 5,000 readings a second that
is a few hundred rows instead of 5,000 alert rows.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from prometheus_client import Counter
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import repository
from gridwatch_central.db import sensor_repository as sensors
from gridwatch_central.db.engine import run_in_transaction
from gridwatch_central.ingest.alert_store import AlertStore, AlertToStore, StoredAlert
from gridwatch_central.ingest.failures import TOPIC_MISMATCH, UNPROCESSABLE, describe
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.ingest.quarantine import QUARANTINE_PREFIX_BYTES, Rejected
from gridwatch_central.ingest.stream import IncomingMessage, database_answers
from gridwatch_central.sensors.alerts import (
    Locate,
    OpenedSensorAlert,
    availability_alert,
    event_alert,
)
from gridwatch_central.sensors.directory import KnownSensor, SensorDirectory
from gridwatch_central.sensors.rules import RuleState
from gridwatch_contract.codec import ContractError, decode_message
from gridwatch_contract.sensors import MAX_SENSOR_PAYLOAD_BYTES, SensorBatch, SensorRecord
from gridwatch_contract.topics import Topics

log = logging.getLogger(__name__)

# Quarantine codes of single records (the rest of their batch is stored).
UNKNOWN_SENSOR = "unknown_sensor"  # no sensor of that id is registered
WRONG_GATEWAY = "wrong_gateway"  # the sensor is registered to another gateway
UNKNOWN_TYPE = "unknown_type"  # the record's type is not configured
TYPE_MISMATCH = "type_mismatch"  # the record's type is not the registered sensor's
OUT_OF_RANGE = "out_of_range"  # the value is outside its type's plausible range
CLOCK_AHEAD = "clock_ahead"  # dated further ahead of central's clock than allowed


@dataclass(frozen=True, slots=True)
class SensorOutcome:
    status: Literal["stored", "duplicate", "rejected"]
    message_id: uuid.UUID | None = None
    gateway_id: str | None = None
    rejected_records: int = 0
    code: str | None = None
    reason: str | None = None
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class CheckedRecord:
    record: SensorRecord
    sensor: KnownSensor


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A decoded batch: its records checked, the refused ones ready for the quarantine."""

    message_id: uuid.UUID
    gateway_id: str
    topic: str
    received_at: datetime
    header: bytes  # the payload's first bytes, should the database refuse the batch
    size: int
    records: list[CheckedRecord]
    refused: list[Rejected]

    def rejected(self, code: str, reason: str) -> Rejected:
        return Rejected(
            topic=self.topic,
            received_at=self.received_at,
            code=code,
            reason=reason,
            kept=self.header,
            size=self.size,
            sha256=None,
            alert_id=None,
        )


PreparedSensor = PreparedBatch | Rejected


@dataclass(slots=True)
class _Evaluation:
    """What one transaction's rules produced."""

    alerts: list[AlertToStore] = field(default_factory=list)
    opened: list[OpenedSensorAlert] = field(default_factory=list)
    samples: list[dict[str, object]] = field(default_factory=list)
    stale: int = 0


class SensorIngestService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        directory: SensorDirectory,
        metrics: IngestMetrics,
        *,
        alerts: AlertStore,
        locate: Locate,
        topics: Topics,
        clock: Callable[[], datetime],
        on_opened: Callable[[list[OpenedSensorAlert]], None] | None = None,
        alarms: Counter | None = None,
    ) -> None:
        self._sessions = sessions
        self._directory = directory
        self._types = directory.types
        self._metrics = metrics
        self._alerts = alerts
        self._locate = locate
        self._topics = topics
        self._clock = clock
        self._max_ahead = timedelta(seconds=directory.types.max_clock_ahead_s)
        self.on_opened = on_opened
        self._alarms = alarms

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._clock

    def handle(self, topic: str, payload: bytes, *, check_topic: bool = False) -> SensorOutcome:
        """Prepare and store one batch (the HTTP endpoint, tools and tests)."""
        message = IncomingMessage(topic, payload, self._clock(), check_topic=check_topic)
        return self.store([self.prepare(message)])[0]

    def prepare(self, message: IncomingMessage, *, again: bool = False) -> PreparedSensor:
        if not again:
            self._metrics.received.inc()
        try:
            batch = decode_message(SensorBatch, message.payload, max_bytes=MAX_SENSOR_PAYLOAD_BYTES)
        except ContractError as error:
            return self._reject(message, error.code, error.reason)
        except Exception as error:  # a parser limit or bug no ContractError names: its fault
            return self._reject(message, UNPROCESSABLE, describe(error))
        gateway = self._topics.parse_sensor_batches(message.topic)
        if message.check_topic and gateway != batch.gateway_id:
            reason = f"the payload names gateway {batch.gateway_id!r}; its topic names {gateway!r}"
            return self._reject(message, TOPIC_MISMATCH, reason)
        checked, refused = [], []
        for record in batch.records:
            problem = self._check(batch.gateway_id, record, message.received_at)
            if isinstance(problem, CheckedRecord):
                checked.append(problem)
            else:
                code, reason = problem
                payload = record.model_dump_json().encode()
                refused.append(
                    Rejected.of_payload(message.topic, payload, message.received_at, code, reason)
                )
        return PreparedBatch(
            message_id=batch.message_id,
            gateway_id=batch.gateway_id,
            topic=message.topic,
            received_at=message.received_at,
            header=message.payload[:QUARANTINE_PREFIX_BYTES],
            size=len(message.payload),
            records=checked,
            refused=refused,
        )

    def _check(
        self, gateway_id: str, record: SensorRecord, received_at: datetime
    ) -> CheckedRecord | tuple[str, str]:
        sensor = self._directory.get(record.sensor_id)
        if sensor is None:
            return UNKNOWN_SENSOR, f"sensor {record.sensor_id} is not registered"
        if sensor.gateway_id != gateway_id:
            return WRONG_GATEWAY, (
                f"sensor {record.sensor_id} belongs to gateway {sensor.gateway_id}, not"
                f" {gateway_id}"
            )
        if record.sensor_type not in self._types.types:
            return UNKNOWN_TYPE, f"sensor type {record.sensor_type!r} is not configured"
        if record.sensor_type != sensor.sensor_type:
            return TYPE_MISMATCH, (
                f"sensor {record.sensor_id} is registered as {sensor.sensor_type}, the record"
                f" says {record.sensor_type}"
            )
        problem = self._plausible(sensor, record, received_at)
        return CheckedRecord(record, sensor) if problem is None else problem

    def _plausible(
        self, sensor: KnownSensor, record: SensorRecord, received_at: datetime
    ) -> tuple[str, str] | None:
        value_range = sensor.kind.range
        if record.value is not None and not value_range.holds(record.value):
            return OUT_OF_RANGE, (
                f"value {record.value:g} is outside {value_range.min:g}..{value_range.max:g}"
                f" for {sensor.sensor_type}"
            )
        if record.observed_at - received_at > self._max_ahead:
            ahead = (record.observed_at - received_at).total_seconds()
            return CLOCK_AHEAD, (
                f"observed_at {record.observed_at.isoformat()} is {ahead:.0f} s ahead of"
                f" central's clock (at most {self._max_ahead.total_seconds():g} s)"
            )
        return None

    def _reject(self, message: IncomingMessage, code: str, reason: str) -> Rejected:
        return Rejected.of_payload(
            message.topic, message.payload, message.received_at, code, reason
        )

    def database_answers(self) -> bool:
        """Whether the database answers a trivial query now (an outage's end, or not one)."""
        return database_answers(self._sessions)

    def store(self, prepared: Sequence[PreparedSensor]) -> list[SensorOutcome]:
        """Commit batches in one transaction; outcomes in the same order."""
        valid = [item for item in prepared if isinstance(item, PreparedBatch)]
        rejected = [item for item in prepared if isinstance(item, Rejected)]

        def transaction(
            session: Session,
        ) -> tuple[set[uuid.UUID], _Evaluation, dict[uuid.UUID, StoredAlert]]:
            refused = [r for item in valid for r in item.refused]
            repository.insert_quarantine(session, [r.row() for r in (*rejected, *refused)])
            new = self._new_batches(session, valid)
            evaluation = self._evaluate(session, new)
            stored = self._alerts.store(session, evaluation.alerts)
            return {item.message_id for item in new}, evaluation, stored

        new_ids, evaluation, stored = run_in_transaction(self._sessions, transaction)
        self._metrics.progress.committed()
        opened = [alert for alert in evaluation.opened if alert.alert_id in stored]
        if self._alarms is not None:
            for alert in opened:
                self._alarms.labels(sensor_type=alert.sensor.sensor_type).inc()
        if opened and self.on_opened is not None:
            self.on_opened(opened)
        return [self._outcome(item, new_ids, len(stored)) for item in prepared]

    def _new_batches(self, session: Session, batch: Sequence[PreparedBatch]) -> list[PreparedBatch]:
        """The batches not stored before (first copy of each id), their ids recorded."""
        firsts: dict[uuid.UUID, PreparedBatch] = {}
        for item in batch:
            firsts.setdefault(item.message_id, item)
        stored = sensors.stored_batch_ids(session, list(firsts))
        new = [item for item in firsts.values() if item.message_id not in stored]
        rows = [
            {
                "message_id": item.message_id,
                "gateway_id": item.gateway_id,
                "received_at": item.received_at,
                "records": len(item.records) + len(item.refused),
            }
            for item in sorted(new, key=lambda item: item.message_id)
        ]
        sensors.insert_batches(session, rows)
        return new

    def _evaluate(self, session: Session, batches: Sequence[PreparedBatch]) -> _Evaluation:
        """Run every sensor's records through its rules, on its locked state."""
        records: dict[str, list[tuple[CheckedRecord, datetime]]] = {}
        for batch in batches:
            for checked in batch.records:
                records.setdefault(checked.sensor.id, []).append((checked, batch.received_at))
        evaluation = _Evaluation()
        if not records:
            return evaluation
        rows = sensors.lock_states(session, records)
        fresh: list[dict[str, object]] = []
        changed: list[dict[str, object]] = []
        for sensor_id, items in records.items():
            items.sort(key=lambda item: item[0].record.observed_at)
            heard = max(received_at for _checked, received_at in items)
            row = rows.get(sensor_id)
            state = RuleState.of_row(row) if row is not None else RuleState(sensor_id, heard)
            self._apply(state, items, heard, evaluation)
            (changed if row is not None else fresh).append(state.row())
        sensors.insert_states(session, fresh)
        sensors.update_states(session, changed)
        sensors.insert_samples(session, evaluation.samples)
        return evaluation

    def _apply(
        self,
        state: RuleState,
        items: list[tuple[CheckedRecord, datetime]],
        heard: datetime,
        evaluation: _Evaluation,
    ) -> None:
        sensor = items[0][0].sensor
        state.last_seen_at = max(state.last_seen_at, heard)
        if state.offline:
            state.offline = False
            evaluation.alerts.append(
                availability_alert(
                    sensor,
                    online=True,
                    at=items[0][0].record.observed_at,
                    received_at=heard,
                    category=self._types.offline_category,
                    locate=self._locate,
                )
            )
        for checked, received_at in items:
            applied = sensor.rules.apply(state, checked.record)
            evaluation.stale += applied.stale
            if applied.sample and checked.record.value is not None:
                evaluation.samples.append(
                    {
                        "sensor_id": sensor.id,
                        "observed_at": checked.record.observed_at,
                        "value": checked.record.value,
                    }
                )
            for emitted in applied.emitted:
                alert = event_alert(sensor, emitted, received_at, self._locate)
                evaluation.alerts.append(alert)
                if emitted.state == "new":
                    evaluation.opened.append(
                        OpenedSensorAlert(alert.facts.alert_id, sensor, received_at)
                    )

    def _outcome(self, item: PreparedSensor, new_ids: set[uuid.UUID], alerts: int) -> SensorOutcome:
        if isinstance(item, Rejected):
            return self.rejected_outcome(item)
        refused = len(item.refused)
        for rejected in item.refused:
            self._metrics.rejected.labels(code=rejected.code).inc()
        first = f"{item.refused[0].code}: {item.refused[0].reason}"[:500] if refused else None
        if item.message_id not in new_ids:
            self._metrics.duplicates.inc()
            return SensorOutcome("duplicate", item.message_id, item.gateway_id)
        new_ids.discard(item.message_id)  # a second copy in the same run is a duplicate
        self._metrics.stored.inc()
        return SensorOutcome(
            "stored", item.message_id, item.gateway_id, refused, reason=first, alerts=alerts
        )

    def rejected_outcome(self, item: Rejected) -> SensorOutcome:
        self._metrics.rejected.labels(code=item.code).inc()
        return SensorOutcome(
            "rejected", readable_message_id(item.kept), code=item.code, reason=item.reason
        )


def readable_message_id(payload: bytes) -> uuid.UUID | None:
    """Best effort: the ``message_id`` of a refused batch, so its gateway can stop resending."""
    try:
        return uuid.UUID(str(json.loads(payload)["message_id"]))
    except Exception:  # any of the ways a refused payload can be broken
        return None
