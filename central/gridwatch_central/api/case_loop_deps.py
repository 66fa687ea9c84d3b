"""What the case-loop routes need: the caller as an ``Actor`` of the loop, their ``Scope``, the
services, and the mapping of the loop's refusals to typed HTTP answers.

The caller is the authenticated ``Principal`` (JWT or API key, see ``api.deps``); the loop sees
it as an ``Actor`` whose role its transition table knows.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol, cast

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.api.deps import PrincipalDep
from gridwatch_central.case_schemas import ProblemOut, TransitionErrorOut
from gridwatch_central.cases.actor import Actor, actor_of
from gridwatch_central.cases.errors import (
    ForbiddenError,
    IllegalTransitionError,
    InvalidRequestError,
    NotFoundError,
)
from gridwatch_central.cases.service import CaseService
from gridwatch_central.clock import Clock
from gridwatch_central.config import CentralConfig
from gridwatch_central.review import ReviewService
from gridwatch_central.schemas import ErrorOut


class CaseLoopContext(Protocol):
    """What the case-loop routes need from the runtime; ``CentralRuntime`` provides it."""

    @property
    def config(self) -> CentralConfig: ...

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def case_service(self) -> CaseService: ...

    @property
    def review(self) -> ReviewService: ...


def get_loop(request: Request) -> CaseLoopContext:
    return cast(CaseLoopContext, request.app.state.context)


def get_actor(principal: PrincipalDep) -> Actor:
    """The caller as the loop records it: ``user:wang`` with its role and department."""
    return actor_of(principal)


LoopDep = Annotated[CaseLoopContext, Depends(get_loop)]
ActorDep = Annotated[Actor, Depends(get_actor)]

# The statuses a write route of the loop can answer besides 200 and 422.
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ProblemOut, "description": "The request does not fit (e.g. unknown department)"},
    403: {"model": ProblemOut, "description": "The caller's role or department may not do this"},
    404: {"model": ErrorOut, "description": "No such record (or not in the caller's scope)"},
    409: {"model": TransitionErrorOut, "description": "Not allowed in the current state"},
}


def case_loop_error_response(_request: Request, error: Exception) -> JSONResponse:
    """Exception handler: each refusal of the loop as its typed body and status."""
    if isinstance(error, IllegalTransitionError):
        body: Any = TransitionErrorOut(
            detail=str(error), action=error.action, state=error.state, allowed_actions=error.allowed
        )
        return JSONResponse(status_code=409, content=body.model_dump())
    if isinstance(error, NotFoundError):
        return JSONResponse(
            status_code=404, content=ErrorOut(code="not_found", detail=str(error)).model_dump()
        )
    if isinstance(error, ForbiddenError):
        body = ProblemOut(code="forbidden", detail=str(error))
        return JSONResponse(status_code=403, content=body.model_dump())
    if isinstance(error, InvalidRequestError):
        body = ProblemOut(code="invalid_request", detail=str(error))
        return JSONResponse(status_code=400, content=body.model_dump())
    raise error  # pragma: no cover - registered for CaseLoopError, whose kinds are all above
