"""Edges and cameras: each edge online or offline and each camera's health as the edges report
it (status and stats topics, ``edges.health``), with a link to the camera's live picture;
below, registered cameras no edge reports (yet). Department handlers handle cases, not
equipment: the page is not theirs, as the API's ``/edges`` is not."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gridwatch_central.auth.scope import Role
from gridwatch_central.cameras import service as cameras
from gridwatch_central.edge_requests import SnapshotOk
from gridwatch_central.edge_requests.live_snapshot import (
    CameraNotFoundError,
    CameraWithoutEdgeError,
    camera_edge,
)
from gridwatch_central.web.deps import ConsoleDep, ViewerDep
from gridwatch_central.web.session import NotAllowedError, Viewer

router = APIRouter(prefix="/console")
# Edges and cameras listed; a district has a few hundred.
LIST_LIMIT = 500
# A person who clicked for a live picture waits a few seconds, not the API's 30 s maximum.
SNAPSHOT_TIMEOUT_S = 5.0
# The page refreshes its list this often: edges report stats every 10 s by default, and an
# edge is judged offline after a few silent intervals, so a faster refresh shows nothing new.
REFRESH_S = 10
# Roles that may ask an edge for a live picture (as GET /api/v1/cameras/{id}/live-snapshot).
SNAPSHOT_ROLES = (Role.OPERATOR, Role.INTEGRATOR, Role.ADMIN)


def _equipment_viewer(viewer: ViewerDep) -> Viewer:
    if viewer.role is Role.DEPARTMENT_HANDLER:
        raise NotAllowedError
    return viewer


EquipmentViewer = Annotated[Viewer, Depends(_equipment_viewer)]


@router.get("/edges", response_class=HTMLResponse)
def edges_page(request: Request, console: ConsoleDep, viewer: EquipmentViewer) -> Response:
    context = console.context
    index = context.grid_store.index
    with context.sessions() as session:
        page = context.edge_health.list_edges(
            session,
            scope=viewer.scope,
            grid=index,
            now=context.clock(),
            limit=LIST_LIMIT,
            offset=0,
            monitor_connected=context.edge_monitor_connected,
        )
        registered = cameras.list_cameras(
            session, index, viewer.scope, edge_id=None, grid_code=None, limit=LIST_LIMIT, offset=0
        ).items
    reported = {camera.camera_id for edge in page.items for camera in edge.cameras}
    return console.renderer.page(
        request,
        viewer,
        "edges.html",
        page=page,
        names={c.id: c.name for c in registered},
        unreported=[c for c in registered if c.id not in reported],
        live_snapshots=viewer.role in SNAPSHOT_ROLES,
        refresh_s=REFRESH_S,
    )


@router.get("/edges/cameras/{camera_id}/live-snapshot")
async def live_snapshot(
    console: ConsoleDep, viewer: EquipmentViewer, camera_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """The camera's latest frame, asked of its edge now; a plain-text reason when none came."""
    if viewer.role not in SNAPSHOT_ROLES:
        raise NotAllowedError
    context = console.context
    try:
        edge_id = await run_in_threadpool(
            camera_edge, context.sessions, camera_id, context.grid_store.index, viewer.scope
        )
    except CameraNotFoundError as error:
        return Response(str(error), status_code=404, media_type="text/plain")
    except CameraWithoutEdgeError as error:
        return Response(str(error), status_code=409, media_type="text/plain")
    future = context.edge_requests.submit_snapshot(edge_id, camera_id, SNAPSHOT_TIMEOUT_S)
    result = await asyncio.wrap_future(future)
    if not isinstance(result, SnapshotOk):
        text = f"{result.failure.value}: {result.reason}"
        return Response(text, status_code=409, media_type="text/plain; charset=utf-8")
    return Response(result.jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
