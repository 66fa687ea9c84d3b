"""A camera's zones and rules, drawn on its live picture (integrators and admins).

The page shows the camera's picture of right now, asked of its edge through the same request
client as ``GET /api/v1/cameras/{id}/live-snapshot``; the zone editor (static/zone_editor.js,
static/camera_rules.js) draws zones and lines over it in pixels and saves them relative to
the picture, through the camera configuration service, which validates them with the models
the edge itself validates.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gridwatch_central.cameras.models import CameraAnalysis, CameraOut
from gridwatch_central.edge_requests import SnapshotOk
from gridwatch_central.edge_requests.live_snapshot import (
    HTTP_STATUS,
    CameraNotFoundError,
    CameraWithoutEdgeError,
    fetch_live_snapshot,
)
from gridwatch_central.web.deps import ConsoleDep
from gridwatch_central.web.i18n import LABELS, Language, translate
from gridwatch_central.web.pages.camera_access import (
    CameraIdPath,
    EditorPoster,
    EditorViewer,
    find_camera,
    not_found,
    problems_of,
)
from gridwatch_central.web.rule_forms import RuleForm, forms_as_json, rule_forms

router = APIRouter(prefix="/console/cameras")
# Largest zone/rule document accepted from the page: a camera has a handful of zones of tens
# of corners each, a few kilobytes.
MAX_CONFIG_CHARS = 200_000


@router.get("/{camera_id}/config", response_class=HTMLResponse)
def config_page(
    request: Request, console: ConsoleDep, viewer: EditorViewer, camera_id: CameraIdPath
) -> Response:
    camera = find_camera(console, viewer, camera_id)
    if camera is None:
        return not_found(request, console, viewer)
    forms = rule_forms()
    stored = camera.analysis.model_dump(mode="json", include={"zones", "rules", "masks"})
    editor = {
        "snapshot_url": f"/console/cameras/{camera.id}/snapshot",
        "save_url": f"/console/cameras/{camera.id}/config",
        "status_url": f"/console/cameras/{camera.id}/status",
        "state": camera.config.state,
        "config": stored,
        # Pixel zones (units: px) were drawn on a frame of the reference size, if one is known.
        "frame": camera.homography.frame.model_dump() if camera.homography else None,
        "forms": forms_as_json(forms),
        "labels": editor_labels(viewer.language, forms),
    }
    return console.renderer.page(
        request,
        viewer,
        "camera_config.html",
        camera=camera,
        forms=forms,
        editor=editor,
        status=None,
    )


@router.get("/{camera_id}/snapshot")
async def snapshot(console: ConsoleDep, viewer: EditorViewer, camera_id: CameraIdPath) -> Response:
    """The camera's latest frame from its edge, never cached; else why not, as JSON."""
    try:
        result = await fetch_live_snapshot(console.context, camera_id, viewer.scope)
    except CameraNotFoundError:
        return JSONResponse({"detail": translate("error.not_found", viewer.language)}, 404)
    except CameraWithoutEdgeError:
        return JSONResponse({"detail": translate("zones.no_edge", viewer.language)}, 409)
    if not isinstance(result, SnapshotOk):
        return JSONResponse({"detail": result.reason}, HTTP_STATUS[result.failure])
    headers = {"Cache-Control": "no-store", "X-Captured-At": result.captured_at.isoformat()}
    return Response(result.jpeg, media_type="image/jpeg", headers=headers)


@router.post("/{camera_id}/config")
def save_config(
    console: ConsoleDep,
    viewer: EditorPoster,
    camera_id: CameraIdPath,
    config: Annotated[str, Form(max_length=MAX_CONFIG_CHARS)],
) -> Response:
    camera = find_camera(console, viewer, camera_id)
    if camera is None:
        return JSONResponse({"detail": translate("error.not_found", viewer.language)}, 404)
    try:
        document = json.loads(config)
        if not isinstance(document, dict):
            raise TypeError("not a JSON object")
        drawn = {key: document[key] for key in ("zones", "rules", "masks") if key in document}
        # Only what is drawn changes here; fps, filters, tracker settings stay as they are.
        analysis = CameraAnalysis.model_validate(camera.analysis.model_dump(mode="json") | drawn)
    except (ValueError, TypeError) as error:
        problems = problems_of(error)
        return JSONResponse(
            {"detail": translate("zones.invalid", viewer.language), "errors": problems}, 400
        )
    context = console.context
    with context.sessions() as session:
        saved = context.camera_service.set_analysis(
            session, camera.id, analysis, context.grid_store.index, viewer.scope
        )
    if saved is None:  # deleted meanwhile
        return JSONResponse({"detail": translate("error.not_found", viewer.language)}, 404)
    message = translate("zones.saved", viewer.language)
    return JSONResponse({"ok": True, "message": message, **_status(saved, viewer.language)})


@router.get("/{camera_id}/status")
def config_status(console: ConsoleDep, viewer: EditorViewer, camera_id: CameraIdPath) -> Response:
    """Whether the edge runs the camera's newest config yet (the page asks while pending)."""
    camera = find_camera(console, viewer, camera_id)
    if camera is None:
        return JSONResponse({"detail": translate("error.not_found", viewer.language)}, 404)
    return JSONResponse(_status(camera, viewer.language))


def _status(camera: CameraOut, language: Language) -> dict[str, Any]:
    """pending / applied / failed: reason, in the viewer's words, and the revision."""
    state = translate(f"config.{camera.config.state}", language)
    text = f"{state}: {camera.config.reason}" if camera.config.reason else state
    return {"state": camera.config.state, "status_text": text, "revision": camera.config.revision}


def editor_labels(language: Language, forms: list[RuleForm]) -> dict[str, Any]:
    """The words the editor's scripts show, in the viewer's language."""
    words: dict[str, Any] = {
        key.removeprefix("zones.js."): translate(key, language)
        for key in LABELS
        if key.startswith("zones.js.")
    }
    names = {field.name for form in forms for field in form.fields}
    words["params"] = {
        name: translate(f"param.{name}", language) for name in names if f"param.{name}" in LABELS
    }
    words["types"] = {form.type: translate(f"event.{form.type}", language) for form in forms}
    return words
