"""Edges and cameras: each edge's health as central last heard it, and every camera with
whether its edge runs its newest settings (pending / applied / failed: reason). Integrators
and admins register edges and add, change and import cameras from here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gridwatch_central.cameras import service as cameras
from gridwatch_central.cameras.models import CameraOut
from gridwatch_central.edges.registry import EdgeRegistered
from gridwatch_central.web.deps import Console, ConsoleDep, ViewerDep
from gridwatch_central.web.pages.camera_access import is_editor
from gridwatch_central.web.session import Viewer

router = APIRouter(prefix="/console")
# Edges and cameras listed; a district has a few hundred cameras on some tens of edges.
LIST_LIMIT = 500
# While a camera's config is pending the rows are fetched again this often: an edge applies
# a config within 5 s, and a few hundred rows every 3 s are nothing for central.
POLL_S = 3


@router.get("/edges", response_class=HTMLResponse)
def edges_page(request: Request, console: ConsoleDep, viewer: ViewerDep) -> Response:
    return render_edges(request, console, viewer)


@router.get("/edges/cameras", response_class=HTMLResponse)
def camera_rows(request: Request, console: ConsoleDep, viewer: ViewerDep) -> Response:
    """The camera rows alone (htmx), while some camera's config is pending."""
    return console.renderer.page(
        request,
        viewer,
        "_camera_rows.html",
        cameras=_cameras(console, viewer),
        editor=is_editor(viewer),
        poll_s=POLL_S,
    )


def _cameras(console: Console, viewer: Viewer) -> list[CameraOut]:
    context = console.context
    with context.sessions() as session:
        return cameras.list_cameras(
            session,
            context.grid_store.index,
            viewer.scope,
            edge_id=None,
            grid_code=None,
            limit=LIST_LIMIT,
            offset=0,
        ).items


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
    with context.sessions() as session:
        edges = context.edge_health.list_edges(
            session,
            scope=viewer.scope,
            grid=context.grid_store.index,
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
        cameras=_cameras(console, viewer),
        poll_s=POLL_S,
        edges=edges,
        editor=is_editor(viewer),
        registered=registered,
        error=error,
    )
    if registered is not None:
        response.headers["Cache-Control"] = "no-store"
    return response
