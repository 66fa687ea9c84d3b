"""A camera's picture of right now, fetched from its edge (zone drawing in the console)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from gridwatch_central.api.deps import require_roles
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.auth.scope import Principal, Role
from gridwatch_central.edge_requests import SnapshotOk
from gridwatch_central.edge_requests.live_snapshot import (
    DEFAULT_TIMEOUT_S,
    HTTP_STATUS,
    MAX_TIMEOUT_S,
    CameraNotFoundError,
    CameraWithoutEdgeError,
    LiveSnapshotContext,
    fetch_live_snapshot,
)
from gridwatch_contract.edge_requests import MAX_REQUEST_WIDTH_PX, MIN_REQUEST_WIDTH_PX

router = APIRouter(prefix="/cameras", tags=["cameras"])

Caller = Annotated[Principal, Depends(require_roles(Role.INTEGRATOR, Role.OPERATOR))]


@router.get(
    "/{camera_id}/live-snapshot",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The camera's latest frame"},
        **responses(
            403,
            404,
            409,
            502,
            503,
            504,
            d409="No edge for the camera in the registry, or the edge or camera is offline,"
            " has no frame yet, or does not run the camera (the code says which)",
            d502="The edge answered with an error",
            d503="Central has no broker connection or too many requests wait for edges",
            d504="The edge did not answer in time",
        ),
    },
)
async def live_snapshot(
    request: Request,
    caller: Caller,
    camera_id: Annotated[str, Path(max_length=64)],
    timeout_s: Annotated[float, Query(gt=0, le=MAX_TIMEOUT_S)] = DEFAULT_TIMEOUT_S,
    max_width: Annotated[
        int | None, Query(ge=MIN_REQUEST_WIDTH_PX, le=MAX_REQUEST_WIDTH_PX)
    ] = None,
) -> Response:
    """The camera's most recent frame as a JPEG, asked of its edge now (never cached)."""
    context = cast(LiveSnapshotContext, request.app.state.context)
    try:
        result = await fetch_live_snapshot(
            context, camera_id, caller.scope, timeout_s=timeout_s, max_width=max_width
        )
    except CameraNotFoundError as error:
        raise ApiError(404, str(error)) from None
    except CameraWithoutEdgeError as error:
        raise ApiError(409, str(error), code="camera_without_edge") from None
    if not isinstance(result, SnapshotOk):
        raise ApiError(HTTP_STATUS[result.failure], result.reason, code=result.failure.value)
    headers = {
        "Cache-Control": "no-store",
        "X-Captured-At": result.captured_at.isoformat(),
        "X-Edge-Id": result.edge_id,
    }
    return Response(result.jpeg, media_type="image/jpeg", headers=headers)
