"""Central asks an edge for something about one of its cameras over MQTT and waits for the
answer: a live snapshot now (zone drawing in the console, pictures for sensor alarms)."""

from gridwatch_central.edge_requests.client import EdgeRequestClient, EdgeRequestError
from gridwatch_central.edge_requests.metrics import EdgeRequestMetrics
from gridwatch_central.edge_requests.results import (
    SnapshotFailed,
    SnapshotFailure,
    SnapshotOk,
    SnapshotResult,
)

__all__ = [
    "EdgeRequestClient",
    "EdgeRequestError",
    "EdgeRequestMetrics",
    "SnapshotFailed",
    "SnapshotFailure",
    "SnapshotOk",
    "SnapshotResult",
]
