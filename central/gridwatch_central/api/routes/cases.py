from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from gridwatch_central.api.deps import DEFAULT_PAGE_SIZE, Limit, Offset, SessionDep
from gridwatch_central.db.repository import CaseFilter
from gridwatch_central.schemas import CaseDetailOut, CasePage, ErrorOut
from gridwatch_central.services import cases

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", response_model=CasePage)
def list_cases(
    session: SessionDep,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    state: str | None = None,
    grid_code: Annotated[str | None, Query(description="A grid code of any level")] = None,
) -> CasePage:
    return cases.list_cases(session, CaseFilter(state=state, grid_code=grid_code), limit, offset)


@router.get(
    "/{case_id}",
    response_model=CaseDetailOut,
    responses={404: {"model": ErrorOut, "description": "No such case"}},
)
def get_case(session: SessionDep, case_id: int) -> CaseDetailOut:
    case = cases.get_case(session, case_id)
    if case is None:
        raise HTTPException(404, detail=f"case {case_id} not found")
    return case
