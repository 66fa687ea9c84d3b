"""Camera sources, added and edited by integrators (and admins) within their grids, and pushed
to their edges (``cameras.config_push``).

Operators, dispatchers and integrators read the cameras standing in their grids; department
handlers, who act on cases rather than places, read none (403).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    Limit,
    Offset,
    ScopeDep,
    SessionDep,
    require_roles,
)
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.api.geography import GeographyDep, NoEchoRoute
from gridwatch_central.auth.scope import Role
from gridwatch_central.cameras import service
from gridwatch_central.cameras.importing import (
    CameraImporter,
    ImportFormatError,
    ImportReport,
    parse_rows,
)
from gridwatch_central.cameras.models import (
    CameraAnalysis,
    CameraFields,
    CameraIn,
    CameraOut,
    CameraPage,
)
from gridwatch_central.cameras.service import CameraExistsError, CameraOutOfScopeError
from gridwatch_central.cameras.vault import CameraKeyError
from gridwatch_central.schemas import ErrorOut
from gridwatch_contract.camera.url_policy import UrlPolicyError

router = APIRouter(
    prefix="/cameras",
    tags=["cameras"],
    route_class=NoEchoRoute,
    responses=responses(403),
    dependencies=[Depends(require_roles(Role.OPERATOR, Role.DISPATCHER, Role.INTEGRATOR))],
)
# Adding, moving and removing cameras is the integrators' job (and the admins').
WRITERS = [Depends(require_roles(Role.INTEGRATOR))]
CameraPath = Annotated[str, Path(max_length=64)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such camera in your grids"}
}
# Writing a camera: the URL policy may refuse its address, and the camera key must be there.
WRITE: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "Invalid, or refused by the camera URL policy"},
    503: {"model": ErrorOut, "description": "No camera key configured (see docs/integrator.md)"},
}


def _refused(error: Exception) -> ApiError:
    if isinstance(error, CameraKeyError):
        return ApiError(503, str(error))
    if isinstance(error, CameraOutOfScopeError):
        return ApiError(403, str(error))
    return ApiError(422, str(error))


@router.post(
    "",
    status_code=201,
    response_model=CameraOut,
    dependencies=WRITERS,
    responses={409: {"model": ErrorOut, "description": "A camera with this id exists"}, **WRITE},
)
def create_camera(
    session: SessionDep, geography: GeographyDep, scope: ScopeDep, body: CameraIn
) -> CameraOut:
    """Store the camera and push its edge's config (registered edges only)."""
    try:
        return geography.camera_service.create(session, body, geography.grid_store.index, scope)
    except CameraExistsError as error:
        raise HTTPException(409, detail=str(error)) from None
    except (CameraOutOfScopeError, UrlPolicyError, CameraKeyError) as error:
        raise _refused(error) from None


@router.post(
    "/import",
    response_model=ImportReport,
    responses={**WRITE, 400: {"model": ErrorOut, "description": "Not a readable CSV/JSON list"}},
    dependencies=WRITERS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        }
    },
)
async def import_cameras(
    request: Request,
    session: SessionDep,
    geography: GeographyDep,
    scope: ScopeDep,
    dry_run: Annotated[bool, Query(description="Report what would change; change nothing")] = False,
) -> ImportReport:
    """Bulk onboarding from a 雪亮 camera list: CSV (header row) or JSON, columns national_code
    (国标编码, 20 digits, becomes the camera id), name, url, lon, lat, edge. Applied only when
    no row has an error (a camera outside your grids is one); every touched edge gets its
    config once."""
    content = await request.body()
    try:
        rows = parse_rows(content, request.headers.get("content-type", ""))
    except ImportFormatError as error:
        raise ApiError(400, str(error)) from None
    importer = CameraImporter(geography.camera_service, geography.grid_store.index, scope)
    try:
        return await run_in_threadpool(importer.run, session, rows, dry_run=dry_run)
    except CameraKeyError as error:
        raise _refused(error) from None


# Its own path: under /cameras it would share the /cameras/{camera_id} template (and its
# methods in a 405's Allow header).
schema_router = APIRouter(
    prefix="/camera-analysis-schema",
    tags=["cameras"],
    responses=responses(403),
    dependencies=[Depends(require_roles(Role.OPERATOR, Role.DISPATCHER, Role.INTEGRATOR))],
)


@schema_router.get("", response_model=dict[str, Any])
def analysis_schema() -> dict[str, Any]:
    """JSON Schema of ``analysis`` (zones, every rule type with its parameters, thresholds),
    for forms that build it: the same models the edge validates with."""
    return CameraAnalysis.model_json_schema()


@router.get("", response_model=CameraPage)
def list_cameras(
    session: SessionDep,
    geography: GeographyDep,
    scope: ScopeDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    edge_id: str | None = None,
    grid_code: Annotated[
        str | None, Query(description="Cameras standing in or overlooking this cell")
    ] = None,
) -> CameraPage:
    index = geography.grid_store.index
    return service.list_cameras(
        session, index, scope, edge_id=edge_id, grid_code=grid_code, limit=limit, offset=offset
    )


@router.get("/{camera_id}", response_model=CameraOut, responses=NOT_FOUND)
def get_camera(
    session: SessionDep, geography: GeographyDep, scope: ScopeDep, camera_id: CameraPath
) -> CameraOut:
    camera = service.get_camera(session, camera_id, geography.grid_store.index, scope)
    if camera is None:
        raise HTTPException(404, detail=f"camera {camera_id} not found")
    return camera


@router.put(
    "/{camera_id}",
    response_model=CameraOut,
    responses={**NOT_FOUND, **WRITE},
    dependencies=WRITERS,
)
def replace_camera(
    session: SessionDep,
    geography: GeographyDep,
    scope: ScopeDep,
    camera_id: CameraPath,
    body: CameraFields,
) -> CameraOut:
    """Replace every field; a redacted URL sent back (user ***) keeps the stored credentials.
    A new ``edge_id`` moves the camera: both edges get their new config."""
    index = geography.grid_store.index
    try:
        camera = geography.camera_service.replace(session, camera_id, body, index, scope)
    except (CameraOutOfScopeError, UrlPolicyError, CameraKeyError) as error:
        raise _refused(error) from None
    if camera is None:
        raise HTTPException(404, detail=f"camera {camera_id} not found")
    return camera


@router.get("/{camera_id}/analysis", response_model=CameraAnalysis, responses=NOT_FOUND)
def get_analysis(
    session: SessionDep, geography: GeographyDep, scope: ScopeDep, camera_id: CameraPath
) -> CameraAnalysis:
    """The zones, rules and thresholds alone (what a zone editor loads)."""
    return get_camera(session, geography, scope, camera_id).analysis


@router.put(
    "/{camera_id}/analysis",
    response_model=CameraOut,
    responses={**NOT_FOUND, **WRITE},
    dependencies=WRITERS,
)
def replace_analysis(
    session: SessionDep,
    geography: GeographyDep,
    scope: ScopeDep,
    camera_id: CameraPath,
    body: CameraAnalysis,
) -> CameraOut:
    """Replace zones, rules and thresholds only, and push them to the camera's edge."""
    index = geography.grid_store.index
    try:
        camera = geography.camera_service.set_analysis(session, camera_id, body, index, scope)
    except CameraKeyError as error:
        raise _refused(error) from None
    if camera is None:
        raise HTTPException(404, detail=f"camera {camera_id} not found")
    return camera


@router.delete(
    "/{camera_id}",
    status_code=204,
    response_class=Response,
    responses=NOT_FOUND,
    dependencies=WRITERS,
)
def delete_camera(
    session: SessionDep, geography: GeographyDep, scope: ScopeDep, camera_id: CameraPath
) -> Response:
    index = geography.grid_store.index
    if not geography.camera_service.delete(session, camera_id, index, scope):
        raise HTTPException(404, detail=f"camera {camera_id} not found")
    return Response(status_code=204)
