"""Ingest that never stalls on a message and never gives up on an outage.

``IngestService`` raises when a batch cannot be committed; this is where the consumer decides
what the failure was (``failures``):

- an outage (the database does not answer, the snapshot disk fails): the batch is held, its
  deliveries unacknowledged, and tried again with back-off until it commits. Nothing is lost
  (the broker still owns every delivery) and nothing is stored twice (the failed transaction
  rolled back, and a redelivered alert is recognised by its ``alert_id``).
- a message the database refuses while it answers: the batch is split in halves and each is
  committed on its own, down to the one message, which is quarantined as ``store_failed``.
  One poison message costs its batch about 2·log2(size) transactions, and the rest is stored.

Every wait is interrupted by the consumer's stop: what is held then is not acknowledged, and
the broker delivers it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from gridwatch_central.ingest.failures import STORE_FAILED, Failure, classify, describe
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.ingest.quarantine import Rejected
from gridwatch_central.ingest.service import (
    IncomingMessage,
    IngestOutcome,
    IngestService,
    Prepared,
    PreparedAlert,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    # The first retry comes quickly (a database restart takes a second or two); doubling
    # waits spare a database that is struggling to come back.
    first_delay_s: float = 0.5
    # At most this long between attempts, so ingest resumes within ~5 s of the database's
    # return (the operator's promise is 10 s, with room for the reconnect itself).
    max_delay_s: float = 5.0
    # An outage-like error from a database that answers a ping (a connection dropped in the
    # middle of a transaction, a lock conflict beyond the transaction's own retries) is tried
    # this many more times before the batch is treated as holding a bad message.
    confirm_attempts: int = 3


class ResilientIngest:
    """``prepare`` and ``store`` of ``IngestService`` that wait out outages and never raise."""

    def __init__(
        self,
        service: IngestService,
        metrics: IngestMetrics,
        stopping: threading.Event,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._service = service
        self._metrics = metrics
        self._progress = metrics.progress
        self._stopping = stopping
        self._policy = policy or RetryPolicy()

    def prepare(self, message: IncomingMessage) -> Prepared | None:
        """The prepared message; None only if the consumer stopped during an outage."""
        delay = self._policy.first_delay_s
        again = False
        while True:
            try:
                prepared = self._service.prepare(message, again=again)
            except Exception as error:  # prepare raises only for an outage of the store
                if not self._wait_out("prepare", error, delay):
                    return None
                delay, again = self._longer(delay), True
                continue
            self._resumed("prepare")
            return prepared

    def store(self, batch: Sequence[Prepared]) -> list[IngestOutcome | None]:
        """One outcome per message, in order; None for a message not committed because the
        consumer stopped during an outage (it is not acknowledged, and comes again)."""
        delay = self._policy.first_delay_s
        confirmations = 0
        while True:
            try:
                outcomes = self._service.store(batch)
            except Exception as error:
                failure = classify(error)
                if isinstance(error, OSError) or not self._service.database_answers():
                    if not self._wait_out("store", error, delay):
                        return [None] * len(batch)
                    delay = self._longer(delay)
                    continue
                self._resumed("store")
                if failure is not Failure.MESSAGE and confirmations < self._policy.confirm_attempts:
                    confirmations += 1
                    log.warning("storing a batch of %d failed (%s); again", len(batch), error)
                    if self._stopping.wait(self._policy.first_delay_s):
                        return [None] * len(batch)
                    continue
                return self._split(batch, error)
            self._resumed("store")
            self._progress.committed()
            return list(outcomes)

    def _split(self, batch: Sequence[Prepared], error: Exception) -> list[IngestOutcome | None]:
        """Store the halves apart, so that only the message at fault is left out."""
        if len(batch) == 1:
            return [self._quarantine(batch[0], error)]
        self._metrics.batch_splits.inc()
        log.warning("a batch of %d failed (%s); storing its halves apart", len(batch), error)
        middle = len(batch) // 2
        return self.store(batch[:middle]) + self.store(batch[middle:])

    def _quarantine(self, item: Prepared, error: Exception) -> IngestOutcome | None:
        reason = describe(error)
        if isinstance(item, PreparedAlert):
            log.error("the database refused alert %s: %s; quarantined", item.alert.alert_id, reason)
            return self.store([item.rejected(STORE_FAILED, reason)])[0]
        return self._drop(item, reason)

    def _drop(self, item: Rejected, reason: str) -> IngestOutcome:
        """Last resort: not even its quarantine row could be stored while the database answers.
        Acknowledged all the same (it would block the stream), logged with what identifies it."""
        self._metrics.dropped.inc()
        log.error(
            "could not quarantine a message on %s (%s, %d bytes, sha256 %s): %s; acknowledged"
            " without a row",
            item.topic[:200],
            item.code,
            item.size,
            item.sha256,
            reason,
        )
        return self._service.rejected_outcome(item)

    def _wait_out(self, stage: str, error: Exception, delay_s: float) -> bool:
        """Mark ``stage`` as held by an outage and wait; False if the consumer stops."""
        reason = describe(error)
        if self._progress.hold(stage, reason):
            log.error(
                "ingest %s: outage (%s); holding deliveries unacknowledged, retrying", stage, reason
            )
        self._metrics.retries.labels(stage=stage).inc()
        return not self._stopping.wait(delay_s)

    def _resumed(self, stage: str) -> None:
        if self._progress.release(stage):
            log.warning("ingest %s: outage over, resuming", stage)

    def _longer(self, delay_s: float) -> float:
        return min(delay_s * 2, self._policy.max_delay_s)
