"""Ingest counters, registered in the runtime's own ``CollectorRegistry``."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter


@dataclass(frozen=True, slots=True)
class IngestCounts:
    received: int
    stored: int
    duplicates: int
    rejected: dict[str, int]


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "gridwatch_ingest_received", "Alert messages received", registry=registry
        )
        self.stored = Counter("gridwatch_ingest_stored", "Alerts stored", registry=registry)
        self.duplicates = Counter(
            "gridwatch_ingest_duplicates", "Redelivered alerts already stored", registry=registry
        )
        self.rejected = Counter(
            "gridwatch_ingest_rejected",
            "Messages quarantined as invalid, by contract error code",
            ["code"],
            registry=registry,
        )

    def counts(self) -> IngestCounts:
        rejected = {labels["code"]: value for labels, value in _totals(self.rejected)}
        return IngestCounts(
            received=sum(value for _, value in _totals(self.received)),
            stored=sum(value for _, value in _totals(self.stored)),
            duplicates=sum(value for _, value in _totals(self.duplicates)),
            rejected=rejected,
        )


def _totals(counter: Counter) -> list[tuple[dict[str, str], int]]:
    """(labels, value) of each ``_total`` sample, read through the public collect() API."""
    return [
        (sample.labels, int(sample.value))
        for metric in counter.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    ]
