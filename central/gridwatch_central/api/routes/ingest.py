from __future__ import annotations

from fastapi import APIRouter

from gridwatch_central.api.deps import DEFAULT_PAGE_SIZE, ContextDep, Limit, Offset, SessionDep
from gridwatch_central.schemas import IngestStatsOut, QuarantinePage
from gridwatch_central.services import ingest_status

router = APIRouter(prefix="/ingest", tags=["ingest"])


@router.get("/quarantine", response_model=QuarantinePage)
def list_quarantine(
    session: SessionDep, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> QuarantinePage:
    """Messages rejected as invalid, newest first (without their raw bytes)."""
    return ingest_status.quarantine(session, limit, offset)


@router.get("/stats", response_model=IngestStatsOut)
def stats(context: ContextDep) -> IngestStatsOut:
    return ingest_status.stats(context.ingest_metrics)
