"""Edges and cameras: each edge online or offline and each camera's health as the edges report
it (status and stats topics, ``edges.health``), with a link to the camera's live picture;
below, registered cameras no edge reports (yet), and every camera with whether its edge runs
its newest settings (pending / applied / failed: reason). Integrators and admins register
edges and add, change and import cameras from here. Department handlers handle cases, not
equipment: the page is not theirs, as the API's ``/edges`` is not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from gridwatch_central.auth.scope import Role
from gridwatch_central.cameras import service as cameras
from gridwatch_central.cameras.models import CameraOut
from gridwatch_central.edge_requests import SnapshotOk
from gridwatch_central.edge_requests.live_snapshot import (
    CameraNotFoundError,
    CameraWithoutEdgeError,
    fetch_live_snapshot,
)
from gridwatch_central.edges.registry import EdgeRegistered
from gridwatch_central.web.deps import Console, ConsoleDep, ViewerDep
from gridwatch_central.web.pages.camera_access import is_editor
from gridwatch_central.web.session import NotAllowedError, Viewer

router = APIRouter(prefix="/console")
# Edges and cameras listed; a district has a few hundred.
LIST_LIMIT = 500
# The page refreshes its list this often: edges report stats every 10 s by default, and an
# edge is judged offline after a few silent intervals, so a faster refresh shows nothing new.
REFRESH_S = 10
# While a camera's config is pending its row is fetched again this often: an edge applies a
# config within 5 s, and a few hundred rows every 3 s are nothing for central.
POLL_S = 3
# Roles that may ask an edge for a live picture (as GET /api/v1/cameras/{id}/live-snapshot).
SNAPSHOT_ROLES = (Role.OPERATOR, Role.INTEGRATOR, Role.ADMIN)


def _equipment_viewer(viewer: ViewerDep) -> Viewer:
    if viewer.role is Role.DEPARTMENT_HANDLER:
        raise NotAllowedError
    return viewer


EquipmentViewer = Annotated[Viewer, Depends(_equipment_viewer)]


@router.get("/edges", response_class=HTMLResponse)
def edges_page(request: Request, console: ConsoleDep, viewer: EquipmentViewer) -> Response:
    return render_edges(request, console, viewer)


def render_edges(
    request: Request,
    console: Console,
    viewer: Viewer,
    *,
    registered: EdgeRegistered | None = None,
    error: str | None = None,
) -> Response:
    """The page; after an edge's registration with its password and bootstrap file, which
    central keeps no copy of (shown this once, never cached)."""
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
    listed = _cameras(console, viewer)
    reported = {camera.camera_id for edge in page.items for camera in edge.cameras}
    response = console.renderer.page(
        request,
        viewer,
        "edges.html",
        status_code=400 if error else 200,
        page=page,
        names={c.id: c.name for c in listed},
        unreported=[c for c in listed if c.id not in reported],
        live_snapshots=viewer.role in SNAPSHOT_ROLES,
        refresh_s=REFRESH_S,
        cameras=listed,
        poll_s=POLL_S,
        editor=is_editor(viewer),
        registered=registered,
        error=error,
    )
    if registered is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/edges/cameras", response_class=HTMLResponse)
def camera_rows(request: Request, console: ConsoleDep, viewer: EquipmentViewer) -> Response:
    """The camera configuration rows alone (htmx), while some camera's config is pending."""
    return console.renderer.page(
        request,
        viewer,
        "_camera_rows.html",
        cameras=_cameras(console, viewer),
        editor=is_editor(viewer),
        poll_s=POLL_S,
    )


def _cameras(console: Console, viewer: Viewer) -> list[CameraOut]:
    """The registered cameras in the viewer's scope (the camera service decides)."""
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


@router.get("/edges/cameras/{camera_id}/live-snapshot")
async def live_snapshot(
    console: ConsoleDep, viewer: EquipmentViewer, camera_id: Annotated[str, Path(max_length=64)]
) -> Response:
    """The camera's latest frame, asked of its edge now; a plain-text reason when none came."""
    if viewer.role not in SNAPSHOT_ROLES:
        raise NotAllowedError
    try:
        result = await fetch_live_snapshot(console.context, camera_id, viewer.scope)
    except CameraNotFoundError as error:
        return Response(str(error), status_code=404, media_type="text/plain")
    except CameraWithoutEdgeError as error:
        return Response(str(error), status_code=409, media_type="text/plain")
    if not isinstance(result, SnapshotOk):
        text = f"{result.failure.value}: {result.reason}"
        return Response(text, status_code=409, media_type="text/plain; charset=utf-8")
    return Response(result.jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
