"""Reading a Prometheus counter's values back, for ``/api`` summaries and tests."""

from __future__ import annotations

from prometheus_client import Counter


def counter_totals(counter: Counter) -> list[tuple[dict[str, str], int]]:
    """(labels, value) of each ``_total`` sample, read through the public collect() API."""
    return [
        (sample.labels, int(sample.value))
        for metric in counter.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    ]
