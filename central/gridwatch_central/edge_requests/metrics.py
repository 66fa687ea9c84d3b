"""Counters of central's requests to edges, in the runtime's own ``CollectorRegistry``."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Round trips of a healthy edge on a LAN take tens of milliseconds, over 4G a second or more;
# the alarm linkage promises a picture within 5 s.
ROUND_TRIP_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


class EdgeRequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._outcomes = Counter(
            "gridwatch_edge_requests",
            "Requests to edges by kind and outcome (ok or the failure)",
            ["kind", "outcome"],
            registry=registry,
        )
        self._ignored = Counter(
            "gridwatch_edge_responses_ignored",
            "Edge responses dropped: unknown_request (unknown or already expired id),"
            " invalid (not a valid response), wrong_edge (payload and topic disagree)",
            ["why"],
            registry=registry,
        )
        self._round_trip = Histogram(
            "gridwatch_edge_request_round_trip_seconds",
            "From sending a request to receiving its answer, answered requests only",
            ["kind"],
            buckets=ROUND_TRIP_BUCKETS_S,
            registry=registry,
        )
        self._outstanding = Gauge(
            "gridwatch_edge_requests_outstanding",
            "Requests waiting for an answer",
            registry=registry,
        )

    def watch_outstanding(self, count: Callable[[], int]) -> None:
        self._outstanding.set_function(count)

    def resolved(self, kind: str, outcome: str) -> None:
        self._outcomes.labels(kind=kind, outcome=outcome).inc()

    def answered(self, kind: str, round_trip_s: float) -> None:
        self._round_trip.labels(kind=kind).observe(round_trip_s)

    def ignored(self, why: str) -> None:
        self._ignored.labels(why=why).inc()

    def ignored_count(self, why: str) -> int:
        return self._total("gridwatch_edge_responses_ignored_total", why=why)

    def outcome_count(self, kind: str, outcome: str) -> int:
        return self._total("gridwatch_edge_requests_total", kind=kind, outcome=outcome)

    def _total(self, sample: str, **labels: str) -> int:
        return int(self._registry.get_sample_value(sample, labels) or 0)
