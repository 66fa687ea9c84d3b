"""Deadline alarms: yellow (预警) and red (督办) records, newest first."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    IdQuery,
    Limit,
    Offset,
    ScopeDep,
    SessionDep,
)
from gridwatch_central.case_schemas import SupervisionPage
from gridwatch_central.db.case_repository import SupervisionFilter
from gridwatch_central.services import case_loop

router = APIRouter(prefix="/supervisions", tags=["supervision"])


@router.get("", response_model=SupervisionPage)
def list_supervisions(
    session: SessionDep,
    scope: ScopeDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    case_id: IdQuery = None,
    level: Literal["yellow", "red"] | None = None,
) -> SupervisionPage:
    where = SupervisionFilter(case_id=case_id, level=level)
    return case_loop.supervisions(session, where, scope, limit, offset)
