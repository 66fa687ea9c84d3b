"""Edges and cameras. The edges' live status and statistics arrive with central's edge
service (issue #12, ops part); until then this page lists the registered cameras."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gridwatch_central.cameras import service as cameras
from gridwatch_central.web.deps import ConsoleDep, ViewerDep

router = APIRouter(prefix="/console")
# Cameras listed; a district has a few hundred.
LIST_LIMIT = 500


@router.get("/edges", response_class=HTMLResponse)
def edges_page(request: Request, console: ConsoleDep, viewer: ViewerDep) -> Response:
    context = console.context
    index = context.grid_store.index
    with context.sessions() as session:
        listed = cameras.list_cameras(
            session, index, viewer.scope, edge_id=None, grid_code=None, limit=LIST_LIMIT, offset=0
        ).items
    shown = [c for c in listed if viewer.scope.covers_grid(*(g.code for g in c.grids))]
    return console.renderer.page(request, viewer, "edges.html", cameras=shown)
