"""Cases: scoped lists and details (outside the scope is 404, as for alerts)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from gridwatch_central.api.deps import DEFAULT_PAGE_SIZE, Limit, Offset, ScopeDep, SessionDep
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.db.repository import CaseFilter
from gridwatch_central.schemas import CaseDetailOut, CasePage
from gridwatch_central.services import cases

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", response_model=CasePage, responses=responses(401, 413, 422))
def list_cases(
    session: SessionDep,
    scope: ScopeDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    state: str | None = None,
    category: str | None = None,
    grid_code: Annotated[str | None, Query(description="A grid code of any level")] = None,
    opened_from: Annotated[datetime | None, Query(description="Inclusive")] = None,
    opened_to: Annotated[datetime | None, Query(description="Exclusive")] = None,
) -> CasePage:
    """Cases in the caller's scope, newest first."""
    where = CaseFilter(
        state=state,
        grid_code=grid_code,
        category=category,
        opened_from=opened_from,
        opened_to=opened_to,
    )
    return cases.list_cases(session, scope, where, limit, offset)


@router.get(
    "/{case_id}",
    response_model=CaseDetailOut,
    responses=responses(401, 404, 413, 422, d404="No such case in your scope"),
)
def get_case(session: SessionDep, scope: ScopeDep, case_id: int) -> CaseDetailOut:
    case = cases.get_case(session, scope, case_id)
    if case is None:
        raise ApiError(404, f"case {case_id} not found")
    return case
