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
    """One stream's counters; ``prefix`` keeps streams apart (``gridwatch_ingest`` for camera
    alerts, ``gridwatch_sensor_ingest`` for sensor batches).

    A second stream passes the first one's ``progress`` (and its ``stream`` name): health
    and readiness then tell the truth about every stream at once, and the progress gauges
    are registered once, by the stream that owns them.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        prefix: str = "gridwatch_ingest",
        messages: str = "Alert messages",
        items: str = "alerts",
        stream: str = "alerts",
        progress: IngestProgress | None = None,
    ) -> None:
        self.stream = stream
        self.progress = progress or IngestProgress()
        p = prefix
        self.received = Counter(f"{p}_received", f"{messages} received", registry=registry)
        self.stored = Counter(f"{p}_stored", f"{messages} stored", registry=registry)
        self.duplicates = Counter(
            f"{p}_duplicates", f"Redelivered {items} already stored", registry=registry
        )
        self.rejected = Counter(
            f"{p}_rejected",
            "Messages quarantined as invalid, by error code",
            ["code"],
            registry=registry,
        )
        self.retries = Counter(
            f"{p}_retries",
            "Attempts repeated while waiting out an outage of the database or snapshot disk",
            ["stage"],
            registry=registry,
        )
        self.batch_splits = Counter(
            f"{p}_batch_splits",
            "Batches split in two because one of their messages could not be stored",
            registry=registry,
        )
        self.dropped = Counter(
            f"{p}_dropped",
            "Messages acknowledged without a quarantine row: even that insert failed",
            registry=registry,
        )
        if progress is None:
            self._progress_gauges(registry, p)

    def _progress_gauges(self, registry: CollectorRegistry, p: str) -> None:
        unacked = Gauge(
            f"{p}_unacked_deliveries",
            "Deliveries received from the broker and not yet acknowledged",
            registry=registry,
        )
        unacked.set_function(lambda: self.progress.snapshot().unacked)
        oldest = Gauge(
            f"{p}_oldest_unacked_age_seconds",
            "Age of the oldest delivery not yet acknowledged (0 when none): ingest lag",
            registry=registry,
        )
        oldest.set_function(lambda: self.progress.snapshot().oldest_unacked_age_s or 0.0)
        outage = Gauge(
            f"{p}_outage",
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
