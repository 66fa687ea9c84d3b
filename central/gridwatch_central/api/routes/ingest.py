from __future__ import annotations

from fastapi import APIRouter, Depends

from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    ContextDep,
    Limit,
    Offset,
    ScopeDep,
    SessionDep,
    require_roles,
)
from gridwatch_central.api.errors import responses
from gridwatch_central.auth.scope import Role
from gridwatch_central.schemas import IngestStatsOut, QuarantinePage
from gridwatch_central.services import ingest_status

router = APIRouter(
    prefix="/ingest",
    tags=["ingest"],
    dependencies=[Depends(require_roles(Role.OPERATOR))],
)


@router.get("/quarantine", response_model=QuarantinePage, responses=responses(401, 403, 413, 422))
def list_quarantine(
    session: SessionDep, scope: ScopeDep, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> QuarantinePage:
    """Messages rejected as invalid, newest first (without their raw bytes).

    A rejected message never reached a grid, so only an unrestricted scope (admin) sees them;
    a grid-scoped operator gets an empty page.
    """
    return ingest_status.quarantine(session, scope, limit, offset)


@router.get("/stats", response_model=IngestStatsOut, responses=responses(401, 403, 413))
def stats(context: ContextDep) -> IngestStatsOut:
    return ingest_status.stats(context.ingest_metrics)
