"""Edge boxes and their cameras' health (status and stats topics), for the command centre.

Who sees what (see ``gridwatch_central.edges.health``): admins every edge; operators,
dispatchers and integrators the edges with a registered camera in their grids, and only those
cameras; department handlers nothing (403): they handle cases, not equipment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Protocol, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response

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
from gridwatch_central.edges.registry import (
    EdgeFields,
    EdgeIn,
    EdgeRegistered,
    EdgeRegistry,
    EdgeRegistryError,
)
from gridwatch_central.grid.store import GridStore

router = APIRouter(prefix="/edges", tags=["edges"])
EdgeViewer = Annotated[
    Principal, Depends(require_roles(Role.OPERATOR, Role.DISPATCHER, Role.INTEGRATOR))
]
EdgeRegistrar = Annotated[Principal, Depends(require_roles(Role.INTEGRATOR))]
EdgePath = Annotated[str, Path(max_length=64)]
NOT_FOUND: dict[int | str, dict[str, Any]] = responses(403, 404, d404="No such edge in your scope")


class EdgesContext(Protocol):
    """Provided by ``CentralRuntime``."""

    @property
    def edge_health(self) -> EdgeHealth: ...

    @property
    def edge_registry(self) -> EdgeRegistry: ...

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


@router.post(
    "",
    status_code=201,
    response_model=EdgeRegistered,
    responses=responses(403, 409, 502, d409="Registered already", d502="The broker refused"),
)
def register_edge(
    session: SessionDep, context: EdgesDep, _registrar: EdgeRegistrar, body: EdgeIn
) -> EdgeRegistered:
    """Register an edge box: it then takes its cameras from central. The answer holds its
    broker password (shown once) and its bootstrap file."""
    try:
        return context.edge_registry.register(session, body, context.clock())
    except EdgeRegistryError as error:
        raise ApiError(error.status, str(error)) from None


@router.put("/{edge_id}", response_model=EdgeOut, responses=NOT_FOUND)
def update_edge(
    session: SessionDep,
    context: EdgesDep,
    registrar: EdgeRegistrar,
    edge_id: EdgePath,
    body: EdgeFields,
) -> EdgeOut:
    """Rename a registered edge or place it in another grid cell."""
    if not context.edge_registry.update(session, edge_id, body):
        raise ApiError(404, f"edge {edge_id} is not registered")
    return get_edge(session, context, registrar, edge_id)


@router.delete(
    "/{edge_id}",
    status_code=204,
    response_class=Response,
    responses=responses(403, 404, 409, d404="Not registered", d409="It still has cameras"),
)
def unregister_edge(
    session: SessionDep, context: EdgesDep, _registrar: EdgeRegistrar, edge_id: EdgePath
) -> Response:
    """Remove a registered edge (and its broker account); its cameras must be gone first."""
    try:
        removed = context.edge_registry.unregister(session, edge_id)
    except EdgeRegistryError as error:
        raise ApiError(error.status, str(error)) from None
    if not removed:
        raise ApiError(404, f"edge {edge_id} is not registered")
    return Response(status_code=204)
