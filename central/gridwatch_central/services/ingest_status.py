"""What ingest has been doing: counters and the quarantine."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import repository
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.schemas import IngestStatsOut, QuarantinedOut, QuarantinePage


def stats(metrics: IngestMetrics) -> IngestStatsOut:
    counts = metrics.counts()
    return IngestStatsOut(
        received=counts.received,
        stored=counts.stored,
        duplicates=counts.duplicates,
        rejected=counts.rejected,
        rejected_total=sum(counts.rejected.values()),
    )


def quarantine(session: Session, scope: Scope, limit: int, offset: int) -> QuarantinePage:
    page = repository.list_quarantine(session, scope, limit, offset)
    items = [
        QuarantinedOut(
            id=row.id,
            topic=row.topic,
            error_code=row.error_code,
            reason=row.reason,
            received_at=row.received_at,
            size_bytes=row.payload_size,
            kept_bytes=len(row.payload),
            sha256=row.payload_sha256,
        )
        for row in page.items
    ]
    return QuarantinePage(items=items, total=page.total, limit=limit, offset=offset)
