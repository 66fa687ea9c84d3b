"""Counters of the edge monitor, in the runtime's own ``CollectorRegistry``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from gridwatch_central.counters import counter_totals


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
        totals = counter_totals(self.rejected)
        return {(labels["kind"], labels["code"]): value for labels, value in totals}

    def stored_counts(self) -> dict[str, int]:
        """kind → messages stored so far."""
        return {labels["kind"]: value for labels, value in counter_totals(self.stored)}
