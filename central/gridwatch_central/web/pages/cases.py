"""The case board (by state, with time-limit colours) and a case's page with its actions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gridwatch_central.cases.attachments import read_attachment, store_photo
from gridwatch_central.cases.errors import CaseLoopError, InvalidRequestError
from gridwatch_central.cases.service import REASON_REQUIRED, ActionRequest
from gridwatch_central.cases.states import CaseAction
from gridwatch_central.db.case_repository import CaseListFilter
from gridwatch_central.schemas import CaseDetailOut
from gridwatch_central.services import case_loop
from gridwatch_central.services import cases as case_views
from gridwatch_central.snapshots.names import is_sha256
from gridwatch_central.web.deps import (
    Console,
    ConsoleDep,
    PosterDep,
    ViewerDep,
    sensor_units,
    status_of,
)
from gridwatch_central.web.session import Viewer
from gridwatch_central.web.views import (
    BOARD_COLUMNS,
    BoardCase,
    board_case,
    grid_path,
    offered_actions,
)

router = APIRouter(prefix="/console")
# Cases per state on the board; older ones are reached through the filters.
BOARD_LIMIT = 100
_SEVERITY = {"red": 0, "yellow": 1, "green": 2, None: 3}


def _day(value: str | None, console: Console, *, end: bool) -> datetime | None:
    """A ``YYYY-MM-DD`` of the period filter as the local midnight (of the next day for end)."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    start = datetime.combine(day, time(), tzinfo=console.renderer.timezone)
    return start + timedelta(days=1) if end else start


@router.get("/cases", response_class=HTMLResponse)
def board(
    request: Request,
    console: ConsoleDep,
    viewer: ViewerDep,
    *,
    grid: str | None = None,
    department: str | None = None,
    category: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    context = console.context
    now = context.clock()
    index = context.grid_store.index
    filters = {"grid": grid, "department": department, "category": category}
    filters |= {"start": start, "end": end}
    columns: list[tuple[str, list[BoardCase]]] = []
    with context.sessions() as session:
        for label, states in BOARD_COLUMNS:
            found: list[BoardCase] = []
            for state in states:
                where = CaseListFilter(
                    state=state.value,
                    grid_code=grid or None,
                    department=department or None,
                    category=category or None,
                    opened_from=_day(start, console, end=False),
                    opened_to=_day(end, console, end=True),
                )
                page = case_views.list_cases(
                    session, where, BOARD_LIMIT, 0, viewer.scope, viewer=viewer.actor
                )
                found += [
                    board_case(c, now, index, context.categories, context.router)
                    for c in page.items
                ]
            found.sort(key=lambda b: (_SEVERITY[b.colour], b.case.step_due_at or b.case.due_at))
            columns.append((label, found))
    template = "_board.html" if request.headers.get("hx-request") else "cases.html"
    return console.renderer.page(
        request,
        viewer,
        template,
        columns=columns,
        filters=filters,
        grids=_grid_choices(console, viewer),
        departments=context.router.config.departments,
        categories=context.categories.categories,
    )


def _grid_choices(console: Console, viewer: Viewer) -> list[tuple[str, str]]:
    """The viewer's grids, street and community level, as (code, indented name)."""
    cells = sorted(console.context.grid_store.index.cells, key=lambda c: c.code)
    return [
        (cell.code, ("　" * (cell.level - 1)) + cell.name)
        for cell in cells
        if cell.level <= 2 and viewer.scope.covers_grid(cell.code)
    ]


def _case_page(
    request: Request,
    console: Console,
    viewer: Viewer,
    case_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = console.context
    with context.sessions() as session:
        case = case_views.get_case(session, case_id, viewer.scope, viewer=viewer.actor)
        extensions = case_loop.extensions(session, case_id, viewer.scope) or []
    if case is None:
        return console.renderer.page(
            request, viewer, "error.html", status_code=404, message_key="error.not_found"
        )
    index = context.grid_store.index
    view = board_case(case, context.clock(), index, context.categories, context.router)
    return console.renderer.page(
        request,
        viewer,
        "case.html",
        status_code=status_code,
        view=view,
        case=case,
        offered=offered_actions(case.allowed_actions),
        extensions=[e for e in extensions if e.status == "PENDING"],
        staff=_staff(console, case),
        photos=_photos(case),
        location=_location(case),
        outline=_outline(console, case),
        departments=context.router.config.departments,
        done=request.query_params.get("done"),
        error=error,
        reason_required={action.value for action in REASON_REQUIRED},
        tile_url=context.config.console.tile_url,
        grid=grid_path(index, (case.grid_l1_code, case.grid_l2_code, case.grid_l3_code)),
        sensor_unit=sensor_units(context).get(case.alerts[0].event_type) if case.alerts else None,
    )


def _staff(console: Console, case: CaseDetailOut) -> list[tuple[str, list[str]]]:
    """Who works in the case's grids, deepest first (三级 网格员, 二级 网格长, 一级 综治中心)."""
    index = console.context.grid_store.index
    staff = console.context.router.config.staff
    found = []
    for code in (case.grid_l3_code, case.grid_l2_code, case.grid_l1_code):
        if code and staff.get(code):
            cell = index.get(code)
            found.append((cell.name if cell is not None else code, staff[code]))
    return found


def _photos(case: CaseDetailOut) -> list[str]:
    """Photos people attached; a linked camera's picture (视频联动, ``evidence``) is one of
    the case's snapshots already, shown with them."""
    return [
        name
        for entry in case.timeline
        if entry.action != "evidence"
        for name in entry.attachments or ()
        if is_sha256(name)
    ]


def _location(case: CaseDetailOut) -> dict[str, float] | None:
    placed = next((a.location for a in case.alerts if a.location is not None), None)
    return {"lat": placed.lat, "lon": placed.lon} if placed is not None else None


def _outline(console: Console, case: CaseDetailOut) -> dict[str, Any] | None:
    """The GeoJSON geometry of the case's deepest grid, drawn around its pin."""
    index = console.context.grid_store.index
    for code in (case.grid_l3_code, case.grid_l2_code, case.grid_l1_code):
        cell = index.get(code) if code else None
        if cell is not None:
            return cell.source_geometry
    return None


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, console: ConsoleDep, viewer: ViewerDep, case_id: int) -> Response:
    return _case_page(request, console, viewer, case_id)


def _act(
    request: Request,
    console: Console,
    viewer: Viewer,
    case_id: int,
    *,
    action: CaseAction,
    action_request: ActionRequest,
) -> Response:
    try:
        case_loop.act(
            console.context, viewer.actor, viewer.scope, case_id, action, request=action_request
        )
    except CaseLoopError as error:
        return _case_page(
            request, console, viewer, case_id, error=str(error), status_code=status_of(error)
        )
    return RedirectResponse(f"/console/cases/{case_id}?done={action.value}", status_code=303)


@router.post("/cases/{case_id}/act/{action}")
def act(
    request: Request,
    console: ConsoleDep,
    viewer: PosterDep,
    *,
    case_id: int,
    action: CaseAction,
    note: Annotated[str, Form(max_length=2000)] = "",
    department: Annotated[str, Form(max_length=64)] = "",
    score: Annotated[int | None, Form(ge=1, le=5)] = None,
    hours: Annotated[float | None, Form(gt=0, le=24 * 30)] = None,
    extension_id: Annotated[int | None, Form()] = None,
) -> Response:
    """Every action of the case's page: the form sends what its action uses."""
    fields: dict[str, Any] = {"note": note.strip() or None}
    if department:
        fields["department"] = department
    action_request = ActionRequest(score=score, hours=hours, extension_id=extension_id, **fields)
    return _act(request, console, viewer, case_id, action=action, action_request=action_request)


@router.post("/upload/cases/{case_id}/feedback")
async def feedback_with_photo(
    request: Request,
    console: ConsoleDep,
    viewer: PosterDep,
    *,
    case_id: int,
    note: Annotated[str, Form(max_length=2000)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """反馈 with a photo of the result (multipart; the one console route with a large body)."""
    context = console.context
    attachments: tuple[str, ...] = ()
    if photo is not None and photo.filename:
        data = await photo.read(context.config.console.max_photo_bytes + 1)
        try:
            sha256 = store_photo(
                context.snapshots,
                data,
                max_bytes=context.config.console.max_photo_bytes,
                now=context.clock(),
            )
        except InvalidRequestError as error:
            return _case_page(request, console, viewer, case_id, error=str(error), status_code=400)
        attachments = (sha256,)
    action_request = ActionRequest(note=note.strip() or None, attachments=attachments)
    return _act(
        request, console, viewer, case_id, action=CaseAction.FEEDBACK, action_request=action_request
    )


@router.get("/cases/{case_id}/attachments/{sha256}")
def attachment(console: ConsoleDep, viewer: ViewerDep, case_id: int, sha256: str) -> Response:
    context = console.context
    with context.sessions() as session:
        image = read_attachment(session, context.snapshots, case_id, sha256, viewer.scope)
    if image is None:
        return Response(status_code=404)
    media = "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"
    return Response(image, media_type=media, headers={"Cache-Control": "private, max-age=28800"})
