"""Cases: scoped lists and details (outside the scope is 404, as for alerts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from gridwatch_central.api.case_loop_deps import ActorDep
from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    IdPath,
    Limit,
    Offset,
    ScopeDep,
    SessionDep,
)
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.cases.states import CaseState
from gridwatch_central.db.case_repository import CaseListFilter
from gridwatch_central.schemas import CaseDetailOut, CasePage
from gridwatch_central.services import cases

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", response_model=CasePage, responses=responses(401, 413, 422))
def list_cases(
    session: SessionDep,
    scope: ScopeDep,
    actor: ActorDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    state: CaseState | None = None,
    grid_code: Annotated[str | None, Query(description="A grid code of any level")] = None,
    department: str | None = None,
    category: str | None = None,
    assignee: str | None = None,
    opened_from: Annotated[AwareDatetime | None, Query(description="Inclusive")] = None,
    opened_to: Annotated[AwareDatetime | None, Query(description="Exclusive")] = None,
) -> CasePage:
    where = CaseListFilter(
        state=state.value if state is not None else None,
        grid_code=grid_code,
        department=department,
        category=category,
        assignee=assignee,
        opened_from=opened_from,
        opened_to=opened_to,
    )
    return cases.list_cases(session, where, limit, offset, scope, viewer=actor)


@router.get(
    "/{case_id}",
    response_model=CaseDetailOut,
    responses=responses(401, 404, 413, 422, d404="No such case in your scope"),
)
def get_case(
    session: SessionDep, scope: ScopeDep, actor: ActorDep, case_id: IdPath
) -> CaseDetailOut:
    case = cases.get_case(session, case_id, scope, viewer=actor)
    if case is None:
        raise ApiError(404, f"case {case_id} not found")
    return case
