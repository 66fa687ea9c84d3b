"""Edge boxes and their cameras' health (status and stats topics), for the command centre.

Who sees what (see ``gridwatch_central.edges.health``): admins every edge; operators,
dispatchers and integrators the edges with a registered camera in their grids, and only those
cameras; department handlers nothing (403): they handle cases, not equipment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Protocol, cast

from fastapi import APIRouter, Depends, Path, Query, Request

from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    Limit,
    Offset,
    SessionDep,
    require_roles,
)
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.auth.scope import Principal, Role
from gridwatch_central.edges.health import EdgeHealth
from gridwatch_central.edges.models import EdgeOut, EdgePage, EdgeState
from gridwatch_central.grid.store import GridStore

router = APIRouter(prefix="/edges", tags=["edges"])
EdgeViewer = Annotated[
    Principal, Depends(require_roles(Role.OPERATOR, Role.DISPATCHER, Role.INTEGRATOR))
]
EdgePath = Annotated[str, Path(max_length=64)]
NOT_FOUND: dict[int | str, dict[str, Any]] = responses(403, 404, d404="No such edge in your scope")


class EdgesContext(Protocol):
    """Provided by ``CentralRuntime``."""

    @property
    def edge_health(self) -> EdgeHealth: ...

    @property
    def edge_monitor_connected(self) -> bool: ...

    @property
    def grid_store(self) -> GridStore: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


def get_edges_context(request: Request) -> EdgesContext:
    return cast(EdgesContext, request.app.state.context)


EdgesDep = Annotated[EdgesContext, Depends(get_edges_context)]


@router.get("", response_model=EdgePage, responses=responses(403))
def list_edges(
    session: SessionDep,
    context: EdgesDep,
    viewer: EdgeViewer,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    state: Annotated[EdgeState | None, Query(description="Only online or offline edges")] = None,
) -> EdgePage:
    """Every edge in the caller's scope with its cameras, as of now."""
    return context.edge_health.list_edges(
        session,
        scope=viewer.scope,
        grid=context.grid_store.index,
        now=context.clock(),
        limit=limit,
        offset=offset,
        state=state,
        monitor_connected=context.edge_monitor_connected,
    )


@router.get("/{edge_id}", response_model=EdgeOut, responses=NOT_FOUND)
def get_edge(
    session: SessionDep, context: EdgesDep, viewer: EdgeViewer, edge_id: EdgePath
) -> EdgeOut:
    edge = context.edge_health.get_edge(
        session, edge_id, scope=viewer.scope, grid=context.grid_store.index, now=context.clock()
    )
    if edge is None:
        raise ApiError(404, f"edge {edge_id} not found")
    return edge
