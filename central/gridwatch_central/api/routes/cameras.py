"""Camera sources, added and edited by integrators (and admins) within their grids.

Operators, dispatchers and integrators read the cameras standing in their grids; department
handlers, who act on cases rather than places, read none (403).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response

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
from gridwatch_central.cameras.models import CameraFields, CameraIn, CameraOut, CameraPage
from gridwatch_central.cameras.service import CameraExistsError, CameraOutOfScopeError
from gridwatch_central.schemas import ErrorOut

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


@router.post(
    "",
    status_code=201,
    response_model=CameraOut,
    dependencies=WRITERS,
    responses={409: {"model": ErrorOut, "description": "A camera with this id exists"}},
)
def create_camera(
    session: SessionDep, geography: GeographyDep, scope: ScopeDep, body: CameraIn
) -> CameraOut:
    try:
        return geography.camera_service.create(session, body, geography.grid_store.index, scope)
    except CameraExistsError as error:
        raise HTTPException(409, detail=str(error)) from None
    except CameraOutOfScopeError as error:
        raise ApiError(403, str(error)) from None


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


@router.put("/{camera_id}", response_model=CameraOut, responses=NOT_FOUND, dependencies=WRITERS)
def replace_camera(
    session: SessionDep,
    geography: GeographyDep,
    scope: ScopeDep,
    camera_id: CameraPath,
    body: CameraFields,
) -> CameraOut:
    """Replace every field; a redacted URL sent back (user ***) keeps the stored credentials."""
    index = geography.grid_store.index
    try:
        camera = geography.camera_service.replace(session, camera_id, body, index, scope)
    except CameraOutOfScopeError as error:
        raise ApiError(403, str(error)) from None
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
