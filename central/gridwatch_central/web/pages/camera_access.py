"""Who may change cameras in the console, and which cameras a viewer sees at all."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.responses import Response
from pydantic import ValidationError

from gridwatch_central.auth.scope import Role
from gridwatch_central.cameras.models import CameraOut
from gridwatch_central.cameras.service import get_camera
from gridwatch_central.web.deps import Console, PosterDep, ViewerDep
from gridwatch_central.web.session import NotAllowedError, Viewer

# Who configures cameras: the integrators who install them, and admins.
EDITORS = frozenset({Role.INTEGRATOR, Role.ADMIN})
CameraIdPath = Annotated[str, Path(max_length=64)]


def is_editor(viewer: Viewer) -> bool:
    return viewer.role in EDITORS


def _editor(viewer: Viewer) -> Viewer:
    if not is_editor(viewer):
        raise NotAllowedError
    return viewer


def get_editor(viewer: ViewerDep) -> Viewer:
    return _editor(viewer)


def get_editor_poster(viewer: PosterDep) -> Viewer:
    return _editor(viewer)


EditorViewer = Annotated[Viewer, Depends(get_editor)]
EditorPoster = Annotated[Viewer, Depends(get_editor_poster)]


def find_camera(console: Console, viewer: Viewer, camera_id: str) -> CameraOut | None:
    """The camera, if the viewer's scope covers a grid it stands in or looks into (the camera
    service decides, as for the API); otherwise it does not exist for the viewer."""
    context = console.context
    with context.sessions() as session:
        return get_camera(session, camera_id, context.grid_store.index, viewer.scope)


def not_found(request: Request, console: Console, viewer: Viewer) -> Response:
    return console.renderer.page(
        request, viewer, "error.html", status_code=404, message_key="error.not_found"
    )


def problems_of(error: Exception) -> list[str]:
    """What was refused, as a person reads it: each field with its problem
    (``rules.0.dwell_s: ...``) for a validation error, else the error's own words."""
    if not isinstance(error, ValidationError):
        return [str(error)]
    return [
        ".".join(str(part) for part in problem["loc"]) + ": " + problem["msg"]
        for problem in error.errors()
    ]
