"""The operator's main screen: the live alert queue, and verify / 误报 / duplicate on each card."""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gridwatch_central.case_schemas import ReviewOut
from gridwatch_central.cases.errors import CaseLoopError
from gridwatch_central.db.incident_repository import IncidentFilter
from gridwatch_central.services import alerts, case_loop, evidence
from gridwatch_central.web.deps import (
    Console,
    ConsoleDep,
    PosterDep,
    ViewerDep,
    sensor_units,
    status_of,
)
from gridwatch_central.web.i18n import translate
from gridwatch_central.web.session import Viewer
from gridwatch_central.web.views import QueueCard, queue_card

router = APIRouter(prefix="/console")
PENDING = IncidentFilter(status="PENDING")
# Verified incidents a duplicate may point at: the latest few hundred cover a shift.
DUPLICATE_CANDIDATES = 200


def _cards(console: Console, viewer: Viewer, ids: list[int] | None) -> tuple[list[QueueCard], int]:
    """Cards of PENDING incidents in scope (the queue's first page, or those of ``ids``), and
    how many pend (of ``ids``, when given)."""
    context = console.context
    limit = context.config.console.queue_size
    # A card the live feed announced is looked up by id, so it is found beyond the first page;
    # a summary like the page's, not the incident's detail with all its alerts: a long event
    # refreshes its card at every merge.
    where = PENDING if ids is None else IncidentFilter(status="PENDING", ids=tuple(ids))
    with context.sessions() as session:
        page = case_loop.list_incidents(
            session, where, viewer.scope, limit if ids is None else len(ids), 0, viewer=viewer.actor
        )
        items = page.items
        shown = evidence.evidence_of(session, viewer.scope, [i.best_alert_id for i in items])
    index, units = context.grid_store.index, sensor_units(context)
    cards = [
        queue_card(item, index, context.categories, shown.get(item.best_alert_id), units)
        for item in items
    ]
    return cards, page.total


def _duplicate_targets(console: Console, viewer: Viewer, cards: list[QueueCard]) -> dict[int, int]:
    """For each card, the older incident it most likely repeats: same category, same
    micro-grid (or camera), still pending or verified — what the D key marks it as."""
    context = console.context
    with context.sessions() as session:
        verified = case_loop.list_incidents(
            session,
            IncidentFilter(status="VERIFIED"),
            viewer.scope,
            DUPLICATE_CANDIDATES,
            0,
        ).items
    # Same category at the same place (micro-grid, else camera): ids ascending per place.
    places: dict[tuple[str, str], list[int]] = defaultdict(list)
    for incident in sorted([c.incident for c in cards] + list(verified), key=lambda i: i.id):
        places[(incident.category, incident.grid_l3_code or incident.camera_id)].append(incident.id)
    targets: dict[int, int] = {}
    for card in cards:
        mine = card.incident
        ids = places[(mine.category, mine.grid_l3_code or mine.camera_id)]
        position = bisect_left(ids, mine.id)
        if position > 0:
            targets[mine.id] = ids[position - 1]
    return targets


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, console: ConsoleDep, viewer: ViewerDep) -> Response:
    position = console.feed.position()  # everything up to here is on the page
    cards, total = _cards(console, viewer, None)
    return console.renderer.page(
        request,
        viewer,
        "queue.html",
        cards=cards,
        total=total,
        duplicates=_duplicate_targets(console, viewer, cards),
        position=position,
    )


@router.get("/queue/cards", response_class=HTMLResponse)
def queue_cards(
    console: ConsoleDep,
    viewer: ViewerDep,
    ids: Annotated[str | None, Query(max_length=2000, pattern=r"^[0-9,]*$")] = None,
) -> Response:
    """Cards as an HTML fragment: the ones the live feed announced, or the queue's first page."""
    wanted = [int(part) for part in ids.split(",") if part] if ids else None
    cards, _total = _cards(console, viewer, wanted)
    html = console.renderer.render(
        "_cards.html",
        viewer.language,
        cards=cards,
        duplicates=_duplicate_targets(console, viewer, cards),
    )
    return HTMLResponse(html)


def _review(viewer: Viewer, action: str, run: Callable[[], ReviewOut]) -> JSONResponse:
    """Run one review; JSON for the queue's script: the message to show, or the refusal."""
    try:
        result = run()
    except CaseLoopError as error:
        return JSONResponse({"ok": False, "detail": str(error)}, status_code=status_of(error))
    return JSONResponse(
        {
            "ok": True,
            "message": translate(f"card.done.{action}", viewer.language),
            "case_id": result.case.id if result.case is not None else None,
        }
    )


@router.post("/incidents/{incident_id}/verify")
def verify(console: ConsoleDep, viewer: PosterDep, incident_id: int) -> JSONResponse:
    loop, actor, scope = console.context, viewer.actor, viewer.scope
    return _review(
        viewer, "verify", lambda: case_loop.verify(loop, actor, scope, incident_id, None)
    )


@router.post("/incidents/{incident_id}/reject")
def reject(
    console: ConsoleDep,
    viewer: PosterDep,
    incident_id: int,
    reason: Annotated[str, Form(min_length=1, max_length=500)],
) -> JSONResponse:
    loop, actor, scope = console.context, viewer.actor, viewer.scope
    return _review(
        viewer, "reject", lambda: case_loop.reject(loop, actor, scope, incident_id, reason)
    )


@router.post("/incidents/{incident_id}/duplicate")
def duplicate(
    console: ConsoleDep,
    viewer: PosterDep,
    incident_id: int,
    duplicate_of: Annotated[int, Form()],
) -> JSONResponse:
    loop, actor, scope = console.context, viewer.actor, viewer.scope
    return _review(
        viewer,
        "duplicate",
        lambda: case_loop.mark_duplicate(
            loop, actor, scope, incident_id, duplicate_of=duplicate_of, note=None
        ),
    )


@router.get("/alerts/{alert_id}/snapshot")
def snapshot(
    console: ConsoleDep, viewer: ViewerDep, alert_id: uuid.UUID, clean: bool = False
) -> Response:
    """The annotated snapshot, or with ``clean=1`` the frame without boxes; in scope only."""
    context = console.context
    with context.sessions() as session:
        image = alerts.get_snapshot(session, viewer.scope, context.snapshots, alert_id, clean=clean)
    if image is None:
        return Response(status_code=404)
    # Snapshots never change (named by alert); the browser may keep them for the shift.
    headers = {"Cache-Control": "private, max-age=28800"}
    return Response(image, media_type="image/jpeg", headers=headers)
