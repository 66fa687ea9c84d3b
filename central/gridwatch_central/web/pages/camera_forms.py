"""Adding, changing, disabling, moving and deleting cameras (integrators and admins).

The forms hand the camera service the same models the API takes (``CameraIn``,
``CameraFields``), so a camera the console accepts is one the API would; every change is
pushed to the camera's edge by the service. The stream URL is shown redacted: sending the
redacted URL back keeps the stored credentials, as in the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError

from gridwatch_central.cameras.models import CameraFields, CameraIn, CameraOut
from gridwatch_central.cameras.service import CameraExistsError, CameraOutOfScopeError
from gridwatch_central.cameras.vault import CameraKeyError
from gridwatch_central.web.deps import Console, ConsoleDep
from gridwatch_central.web.pages.camera_access import (
    CameraIdPath,
    EditorPoster,
    EditorViewer,
    find_camera,
    not_found,
    problems_of,
)
from gridwatch_central.web.session import Viewer
from gridwatch_contract.camera.url_policy import UrlPolicyError

router = APIRouter(prefix="/console/cameras")
BACK = "/console/edges"
# What the service refuses, said on the form: invalid fields, a place outside the viewer's
# grids, an address the URL policy forbids, no camera key to encrypt the URL with.
REFUSED = (ValidationError, CameraOutOfScopeError, UrlPolicyError, CameraKeyError)


class CameraForm(BaseModel):
    """The camera form as posted: text, checked as the API's camera body (``body``)."""

    id: str = Field(default="", max_length=64)
    name: str = Field(default="", max_length=200)
    edge_id: str = Field(default="", max_length=64)
    rtsp_url: str = Field(default="", max_length=2100)  # the API allows 2048 characters
    lat: str = Field(default="", max_length=32)
    lon: str = Field(default="", max_length=32)
    heading_deg: str = Field(default="", max_length=32)
    national_code: str = Field(default="", max_length=32)
    analysis_fps: str = Field(default="5", max_length=32)
    enabled: str = Field(default="", max_length=8)

    def body(self) -> dict[str, Any]:
        """As the API's camera body; blank optional fields are left out (None)."""
        return {
            "name": self.name.strip(),
            "edge_id": self.edge_id.strip(),
            "rtsp_url": self.rtsp_url.strip(),
            "location": {"lat": self.lat.strip() or None, "lon": self.lon.strip() or None},
            "heading_deg": self.heading_deg.strip() or None,
            "national_code": self.national_code.strip() or None,
            "enabled": self.enabled == "on",
        }

    def shown(self) -> dict[str, Any]:
        """What the form shows again after a refusal: what was typed."""
        return self.model_dump() | {"enabled": self.enabled == "on"}


PostedCamera = Annotated[CameraForm, Form()]


def _form(
    request: Request,
    console: Console,
    viewer: Viewer,
    *,
    camera: CameraOut | None,
    values: dict[str, Any],
    error: Exception | None = None,
) -> Response:
    """The form, again with what was typed and why it was refused when it was."""
    return console.renderer.page(
        request,
        viewer,
        "camera_form.html",
        status_code=400 if error else 200,
        camera=camera,
        values=values,
        error="; ".join(problems_of(error)) if error is not None else None,
    )


def _values_of(camera: CameraOut) -> dict[str, Any]:
    return {
        "id": camera.id,
        "name": camera.name,
        "edge_id": camera.edge_id,
        "rtsp_url": camera.rtsp_url,
        "lat": camera.location.lat,
        "lon": camera.location.lon,
        "heading_deg": "" if camera.heading_deg is None else camera.heading_deg,
        "national_code": camera.national_code or "",
        "analysis_fps": camera.analysis.analysis_fps,
        "enabled": camera.enabled,
    }


@router.get("/new", response_class=HTMLResponse)
def new_camera(request: Request, console: ConsoleDep, viewer: EditorViewer) -> Response:
    blank = CameraForm(enabled="on").shown()
    return _form(request, console, viewer, camera=None, values=blank)


@router.post("/new")
def create_camera(
    request: Request, console: ConsoleDep, viewer: EditorPoster, form: PostedCamera
) -> Response:
    context = console.context
    analysis = {"analysis_fps": form.analysis_fps}
    try:
        body = CameraIn.model_validate(form.body() | {"id": form.id.strip(), "analysis": analysis})
        with context.sessions() as session:
            created = context.camera_service.create(
                session, body, context.grid_store.index, viewer.scope
            )
    except (*REFUSED, CameraExistsError) as error:
        return _form(request, console, viewer, camera=None, values=form.shown(), error=error)
    return RedirectResponse(f"/console/cameras/{created.id}/config", status_code=303)


@router.get("/{camera_id}/edit", response_class=HTMLResponse)
def edit_camera(
    request: Request, console: ConsoleDep, viewer: EditorViewer, camera_id: CameraIdPath
) -> Response:
    camera = find_camera(console, viewer, camera_id)
    if camera is None:
        return not_found(request, console, viewer)
    return _form(request, console, viewer, camera=camera, values=_values_of(camera))


@router.post("/{camera_id}/edit")
def update_camera(
    request: Request,
    console: ConsoleDep,
    viewer: EditorPoster,
    camera_id: CameraIdPath,
    form: PostedCamera,
) -> Response:
    """Every field replaced, as PUT /api/v1/cameras/{id}; zones, rules and the ground
    reference points stay as they are (their own page and API)."""
    camera = find_camera(console, viewer, camera_id)
    if camera is None:
        return not_found(request, console, viewer)
    analysis = camera.analysis.model_dump(mode="json") | {"analysis_fps": form.analysis_fps}
    homography = camera.homography
    kept = {"frame": homography.frame, "points": homography.points} if homography else None
    context = console.context
    try:
        body = CameraFields.model_validate(form.body() | {"analysis": analysis, "homography": kept})
        with context.sessions() as session:
            index = context.grid_store.index
            replaced = context.camera_service.replace(session, camera_id, body, index, viewer.scope)
    except REFUSED as error:
        shown = form.shown() | {"id": camera.id}
        return _form(
            request,
            console,
            viewer,
            camera=camera,
            values=shown,
            error=error,
        )
    if replaced is None:  # seen (it looks into the viewer's grids) but standing outside them
        return not_found(request, console, viewer)
    return RedirectResponse(BACK, status_code=303)


@router.post("/{camera_id}/delete")
def delete_camera(
    request: Request, console: ConsoleDep, viewer: EditorPoster, camera_id: CameraIdPath
) -> Response:
    camera = find_camera(console, viewer, camera_id)
    if camera is None:
        return not_found(request, console, viewer)
    context = console.context
    with context.sessions() as session:
        deleted = context.camera_service.delete(
            session, camera_id, context.grid_store.index, viewer.scope
        )
    if not deleted:  # seen (it looks into the viewer's grids) but standing outside them
        return not_found(request, console, viewer)
    return RedirectResponse(BACK, status_code=303)
