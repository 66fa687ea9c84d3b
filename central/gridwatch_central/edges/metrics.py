"""Counters of the edge monitor, in the runtime's own ``CollectorRegistry``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class EdgeMonitorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.stored = Counter(
            "gridwatch_edge_monitor_stored",
            "Edge status and stats messages stored",
            ["kind"],
            registry=registry,
        )
        self.rejected = Counter(
            "gridwatch_edge_monitor_rejected",
            "Edge status and stats messages refused as invalid, by kind and error code",
            ["kind", "code"],
            registry=registry,
        )
        self.failed = Counter(
            "gridwatch_edge_monitor_store_failed",
            "Valid messages that could not be stored (database unavailable)",
            ["kind"],
            registry=registry,
        )
        self.dropped = Counter(
            "gridwatch_edge_monitor_dropped",
            "Stats messages dropped because the store queue was full",
            registry=registry,
        )

    def rejected_counts(self) -> dict[tuple[str, str], int]:
        """(kind, code) → messages refused so far."""
        return {(labels["kind"], labels["code"]): value for labels, value in _totals(self.rejected)}

    def stored_counts(self) -> dict[str, int]:
        """kind → messages stored so far."""
        return {labels["kind"]: value for labels, value in _totals(self.stored)}


def _totals(counter: Counter) -> list[tuple[dict[str, str], int]]:
    """(labels, value) of each ``_total`` sample, read through the public collect() API."""
    return [
        (sample.labels, int(sample.value))
        for metric in counter.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    ]
