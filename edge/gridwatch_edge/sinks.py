"""Where alerts and statistics go: protocols the pipeline depends on, plus an in-memory sink.

The MQTT publisher implements both protocols; replays and tests collect alerts in memory;
the durable outbox (later) will be another ``AlertSink``.
"""

from __future__ import annotations

import threading
from typing import Protocol

from gridwatch_contract.messages import AlertMessage, EdgeStatsMessage


class AlertSink(Protocol):
    def publish_alert(self, alert: AlertMessage) -> None:
        """Take responsibility for delivering ``alert``; must be safe to call from any thread."""
        ...


class StatsSink(Protocol):
    def publish_stats(self, stats: EdgeStatsMessage) -> None: ...


class CollectingSink:
    """Keeps every alert and stats message in memory, in arrival order (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._alerts: list[AlertMessage] = []
        self._stats: list[EdgeStatsMessage] = []

    def publish_alert(self, alert: AlertMessage) -> None:
        with self._lock:
            self._alerts.append(alert)

    def publish_stats(self, stats: EdgeStatsMessage) -> None:
        with self._lock:
            self._stats.append(stats)

    @property
    def alerts(self) -> list[AlertMessage]:
        with self._lock:
            return list(self._alerts)

    @property
    def stats(self) -> list[EdgeStatsMessage]:
        with self._lock:
            return list(self._stats)
