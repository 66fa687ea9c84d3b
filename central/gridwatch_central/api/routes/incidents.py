"""Incidents and their review: verify (立案), reject as false alarm (误报), mark duplicate."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from gridwatch_central.api.case_loop_deps import WRITE_ERRORS, ActorDep, LoopDep
from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    IdPath,
    Limit,
    Offset,
    ScopeDep,
    SessionDep,
)
from gridwatch_central.case_schemas import (
    DuplicateIn,
    IncidentDetailOut,
    IncidentPage,
    RejectIn,
    ReviewOut,
    VerifyIn,
)
from gridwatch_central.db.incident_repository import IncidentFilter
from gridwatch_central.schemas import ErrorOut
from gridwatch_central.services import case_loop

router = APIRouter(prefix="/incidents", tags=["incidents"])
Status = Literal["PENDING", "VERIFIED", "FALSE_ALARM", "DUPLICATE"]


@router.get("", response_model=IncidentPage)
def list_incidents(
    session: SessionDep,
    scope: ScopeDep,
    actor: ActorDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    status: Status | None = None,
    category: str | None = None,
    camera_id: str | None = None,
    grid_code: Annotated[str | None, Query(description="A grid code of any level")] = None,
) -> IncidentPage:
    """The review queue and history, most recently seen first."""
    where = IncidentFilter(
        status=status, category=category, camera_id=camera_id, grid_code=grid_code
    )
    return case_loop.list_incidents(session, where, scope, limit, offset, viewer=actor)


@router.get(
    "/{incident_id}",
    response_model=IncidentDetailOut,
    responses={404: {"model": ErrorOut, "description": "No such incident"}},
)
def get_incident(
    session: SessionDep, scope: ScopeDep, actor: ActorDep, incident_id: IdPath
) -> IncidentDetailOut:
    incident = case_loop.get_incident(session, incident_id, scope, viewer=actor)
    if incident is None:
        raise HTTPException(404, detail=f"incident {incident_id} not found")
    return incident


@router.post("/{incident_id}/verify", response_model=ReviewOut, responses=WRITE_ERRORS)
def verify(
    loop: LoopDep, actor: ActorDep, scope: ScopeDep, incident_id: IdPath, body: VerifyIn
) -> ReviewOut:
    """核实立案: the incident is real; its case opens (REGISTERED), routed and on the clock."""
    return case_loop.verify(loop, actor, scope, incident_id, body.note)


@router.post("/{incident_id}/reject", response_model=ReviewOut, responses=WRITE_ERRORS)
def reject(
    loop: LoopDep, actor: ActorDep, scope: ScopeDep, incident_id: IdPath, body: RejectIn
) -> ReviewOut:
    """误报: a false alarm; counts against the camera, rule, model and category."""
    return case_loop.reject(loop, actor, scope, incident_id, body.reason)


@router.post("/{incident_id}/duplicate", response_model=ReviewOut, responses=WRITE_ERRORS)
def mark_duplicate(
    loop: LoopDep, actor: ActorDep, scope: ScopeDep, incident_id: IdPath, body: DuplicateIn
) -> ReviewOut:
    """The same problem as ``duplicate_of``; later alerts of its events go there."""
    return case_loop.mark_duplicate(
        loop, actor, scope, incident_id, duplicate_of=body.duplicate_of, note=body.note
    )
