"""Ingest counters and gauges, registered in the runtime's own ``CollectorRegistry``."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge

from gridwatch_central.counters import counter_totals
from gridwatch_central.ingest.progress import IngestProgress


@dataclass(frozen=True, slots=True)
class IngestCounts:
    received: int
    stored: int
    duplicates: int
    rejected: dict[str, int]


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.progress = IngestProgress()
        self.received = Counter(
            "gridwatch_ingest_received", "Alert messages received", registry=registry
        )
        self.stored = Counter("gridwatch_ingest_stored", "Alerts stored", registry=registry)
        self.duplicates = Counter(
            "gridwatch_ingest_duplicates", "Redelivered alerts already stored", registry=registry
        )
        self.rejected = Counter(
            "gridwatch_ingest_rejected",
            "Messages quarantined as invalid, by error code",
            ["code"],
            registry=registry,
        )
        self.retries = Counter(
            "gridwatch_ingest_retries",
            "Attempts repeated while waiting out an outage of the database or snapshot disk",
            ["stage"],
            registry=registry,
        )
        self.batch_splits = Counter(
            "gridwatch_ingest_batch_splits",
            "Batches split in two because one of their messages could not be stored",
            registry=registry,
        )
        self.dropped = Counter(
            "gridwatch_ingest_dropped",
            "Messages acknowledged without a quarantine row: even that insert failed",
            registry=registry,
        )
        unacked = Gauge(
            "gridwatch_ingest_unacked_deliveries",
            "Deliveries received from the broker and not yet acknowledged",
            registry=registry,
        )
        unacked.set_function(lambda: self.progress.snapshot().unacked)
        oldest = Gauge(
            "gridwatch_ingest_oldest_unacked_age_seconds",
            "Age of the oldest delivery not yet acknowledged (0 when none): ingest lag",
            registry=registry,
        )
        oldest.set_function(lambda: self.progress.snapshot().oldest_unacked_age_s or 0.0)
        outage = Gauge(
            "gridwatch_ingest_outage",
            "1 while ingest holds its deliveries waiting for the database or snapshot disk",
            registry=registry,
        )
        outage.set_function(lambda: float(self.progress.snapshot().outage))

    def counts(self) -> IngestCounts:
        rejected = {labels["code"]: value for labels, value in counter_totals(self.rejected)}
        return IngestCounts(
            received=sum(value for _, value in counter_totals(self.received)),
            stored=sum(value for _, value in counter_totals(self.stored)),
            duplicates=sum(value for _, value in counter_totals(self.duplicates)),
            rejected=rejected,
        )
