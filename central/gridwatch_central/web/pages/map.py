"""The grid map: polygons by level, cameras and open cases; a click on a grid shows its parts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gridwatch_central.cameras import service as cameras
from gridwatch_central.cases.states import FINAL, CaseState
from gridwatch_central.db.case_repository import CaseListFilter
from gridwatch_central.db.incident_repository import IncidentFilter
from gridwatch_central.schemas import CaseOut
from gridwatch_central.services import case_loop
from gridwatch_central.services import cases as case_views
from gridwatch_central.web.deps import Console, ConsoleDep, ViewerDep
from gridwatch_central.web.session import Viewer

router = APIRouter(prefix="/console")
# Markers drawn at once; a district's open cases and cameras stay well below.
MAP_LIMIT = 500
OPEN_STATES = [state for state in CaseState if state not in FINAL]


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, console: ConsoleDep, viewer: ViewerDep) -> Response:
    return console.renderer.page(
        request, viewer, "map.html", tile_url=console.context.config.console.tile_url
    )


def _open_cases(console: Console, viewer: Viewer, grid_code: str | None) -> list[CaseOut]:
    found: list[CaseOut] = []
    with console.context.sessions() as session:
        for state in OPEN_STATES:
            where = CaseListFilter(state=state.value, grid_code=grid_code)
            page = case_views.list_cases(
                session, where, MAP_LIMIT, 0, viewer.scope, viewer=viewer.actor
            )
            found += page.items
    return found


@router.get("/map/data")
def map_data(console: ConsoleDep, viewer: ViewerDep) -> JSONResponse:
    """The viewer's grid cells as GeoJSON, their cameras, and open cases with a position."""
    context = console.context
    index = context.grid_store.index
    open_cases = _open_cases(console, viewer, None)
    case_grids = {
        code
        for case in open_cases
        for code in (case.grid_l1_code, case.grid_l2_code, case.grid_l3_code)
        if code
    }
    cells = [c for c in index.cells if viewer.scope.covers_grid(c.code) or c.code in case_grids]
    features = [
        {
            "type": "Feature",
            "geometry": cell.source_geometry,
            "properties": {"code": cell.code, "name": cell.name, "level": cell.level},
        }
        for cell in sorted(cells, key=lambda c: (c.level, c.code))
    ]
    with context.sessions() as session:
        listed = cameras.list_cameras(
            session, index, viewer.scope, edge_id=None, grid_code=None, limit=MAP_LIMIT, offset=0
        ).items
        verified = case_loop.list_incidents(
            session, IncidentFilter(status="VERIFIED"), viewer.scope, MAP_LIMIT, 0
        ).items
    places = {i.id: i.location for i in verified if i.location is not None}
    shown_cameras = [
        {"id": c.id, "name": c.name, "lat": c.location.lat, "lon": c.location.lon}
        for c in listed
        if viewer.scope.covers_grid(*(g.code for g in c.grids))
    ]
    markers: list[dict[str, Any]] = []
    for case in open_cases:
        place = places.get(case.incident_id or -1)
        if place is not None:
            markers.append(
                {
                    "id": case.id,
                    "number": case.case_number,
                    "title": case.title,
                    "state": case.state,
                    "lat": place.lat,
                    "lon": place.lon,
                }
            )
    return JSONResponse(
        {
            "grids": {"type": "FeatureCollection", "features": features},
            "cameras": shown_cameras,
            "cases": markers,
        }
    )


@router.get("/map/grid/{code}", response_class=HTMLResponse)
def grid_panel(console: ConsoleDep, viewer: ViewerDep, code: str) -> Response:
    """What a click on a grid shows: its open cases, cameras and staff."""
    context = console.context
    index = context.grid_store.index
    cell = index.get(code)
    if cell is None or not viewer.scope.covers_grid(code):
        return HTMLResponse("", status_code=404)
    with context.sessions() as session:
        listed = cameras.list_cameras(
            session, index, viewer.scope, edge_id=None, grid_code=code, limit=MAP_LIMIT, offset=0
        ).items
    html = console.renderer.render(
        "_grid_panel.html",
        viewer.language,
        cell=cell,
        cases=_open_cases(console, viewer, code),
        cameras=listed,
        staff=context.router.config.staff.get(code, []),
    )
    return HTMLResponse(html)
