"""Registering and unregistering edge boxes from the console (integrators and admins), as
``POST`` and ``DELETE /api/v1/edges`` do: a registered edge takes its cameras from central."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from gridwatch_central.edges.registry import EdgeIn, EdgeRegistryError
from gridwatch_central.web.deps import ConsoleDep
from gridwatch_central.web.pages.camera_access import EditorPoster, problems_of
from gridwatch_central.web.pages.edges import render_edges

router = APIRouter(prefix="/console/edges")
Text = Annotated[str, Form(max_length=200)]


@router.post("/register")
def register_edge(
    request: Request,
    console: ConsoleDep,
    viewer: EditorPoster,
    *,
    id: Text,
    name: Text,
    grid_code: Text = "",
) -> Response:
    context = console.context
    try:
        body = EdgeIn(id=id.strip(), name=name.strip(), grid_code=grid_code.strip() or None)
        with context.sessions() as session:
            registered = context.edge_registry.register(session, body, context.clock())
    except (ValidationError, EdgeRegistryError) as error:
        return render_edges(request, console, viewer, error="; ".join(problems_of(error)))
    return render_edges(request, console, viewer, registered=registered)


@router.post("/{edge_id}/unregister")
def unregister_edge(
    request: Request,
    console: ConsoleDep,
    viewer: EditorPoster,
    edge_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """Only an edge without cameras (move or delete them first), as in the API."""
    context = console.context
    try:
        with context.sessions() as session:
            context.edge_registry.unregister(session, edge_id)
    except EdgeRegistryError as error:
        return render_edges(request, console, viewer, error=str(error))
    return RedirectResponse("/console/edges", status_code=303)
