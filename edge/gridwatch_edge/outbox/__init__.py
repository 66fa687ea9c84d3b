"""Zero-loss delivery: the durable outbox of alerts and the rules for resending them."""

from gridwatch_edge.outbox.schedule import ResendPolicy, ResendSchedule
from gridwatch_edge.outbox.store import (
    AckStatus,
    HistoryRow,
    OutboxCounts,
    OutboxError,
    OutboxLimits,
    OutboxStore,
    PendingEntry,
    open_outbox,
)

__all__ = [
    "AckStatus",
    "HistoryRow",
    "OutboxCounts",
    "OutboxError",
    "OutboxLimits",
    "OutboxStore",
    "PendingEntry",
    "ResendPolicy",
    "ResendSchedule",
    "open_outbox",
]
