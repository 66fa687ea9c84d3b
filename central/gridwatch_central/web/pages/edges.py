"""Edges and cameras: each edge's health as central last heard it, and every camera with
whether its edge runs its newest settings (pending / applied / failed: reason). Integrators
and admins register edges and add, change and import cameras from here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gridwatch_central.cameras import service as cameras
from gridwatch_central.edges.registry import EdgeRegistered
from gridwatch_central.web.deps import Console, ConsoleDep, ViewerDep
from gridwatch_central.web.pages.camera_access import is_editor, sees
from gridwatch_central.web.session import Viewer

router = APIRouter(prefix="/console")
# Edges and cameras listed; a district has a few hundred cameras on some tens of edges.
LIST_LIMIT = 500


@router.get("/edges", response_class=HTMLResponse)
def edges_page(request: Request, console: ConsoleDep, viewer: ViewerDep) -> Response:
    return render_edges(request, console, viewer)


def render_edges(
    request: Request,
    console: Console,
    viewer: Viewer,
    *,
    registered: EdgeRegistered | None = None,
    error: str | None = None,
) -> Response:
    """The page; after a registration with the new edge's password and bootstrap file, which
    central keeps no copy of (shown this once, never cached)."""
    context = console.context
    index = context.grid_store.index
    with context.sessions() as session:
        listed = cameras.list_cameras(
            session, index, edge_id=None, grid_code=None, limit=LIST_LIMIT, offset=0
        ).items
        edges = context.edge_health.list_edges(
            session,
            scope=viewer.scope,
            grid=index,
            now=context.clock(),
            limit=LIST_LIMIT,
            offset=0,
            monitor_connected=context.edge_monitor_connected,
        )
    response = console.renderer.page(
        request,
        viewer,
        "edges.html",
        status_code=400 if error else 200,
        cameras=[camera for camera in listed if sees(viewer, camera)],
        edges=edges,
        editor=is_editor(viewer),
        registered=registered,
        error=error,
    )
    if registered is not None:
        response.headers["Cache-Control"] = "no-store"
    return response
