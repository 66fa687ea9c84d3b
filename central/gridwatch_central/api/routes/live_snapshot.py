"""A camera's picture of right now, fetched from its edge (zone drawing in the console)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Final, Protocol, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from gridwatch_central.api.deps import require_roles
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.auth.scope import Principal, Role
from gridwatch_central.edge_requests import EdgeRequestClient, SnapshotFailure, SnapshotOk
from gridwatch_central.edge_requests.live_snapshot import (
    CameraNotFoundError,
    CameraWithoutEdgeError,
    camera_edge,
)
from gridwatch_central.grid.store import GridStore
from gridwatch_contract.edge_requests import MAX_REQUEST_WIDTH_PX, MIN_REQUEST_WIDTH_PX

router = APIRouter(prefix="/cameras", tags=["cameras"])

# A person looking at a spinner gives up after a few seconds; 30 s is for slow uplinks.
DEFAULT_TIMEOUT_S: Final = 5.0
MAX_TIMEOUT_S: Final = 30.0
# What each failure becomes: the edge's and camera's states are conflicts with what the
# caller asked for (409), no answer is a gateway timeout (504), an edge error a bad gateway.
HTTP_STATUS: Final = {
    SnapshotFailure.TIMEOUT: 504,
    SnapshotFailure.EDGE_OFFLINE: 409,
    SnapshotFailure.CAMERA_UNKNOWN: 409,
    SnapshotFailure.CAMERA_OFFLINE: 409,
    SnapshotFailure.NO_FRAME_YET: 409,
    SnapshotFailure.EDGE_ERROR: 502,
    SnapshotFailure.BUSY: 503,
    SnapshotFailure.NOT_CONNECTED: 503,
}

Caller = Annotated[Principal, Depends(require_roles(Role.INTEGRATOR, Role.OPERATOR))]


class LiveSnapshotContext(Protocol):
    """Provided by ``CentralRuntime``."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def grid_store(self) -> GridStore: ...

    @property
    def edge_requests(self) -> EdgeRequestClient: ...


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
    index = context.grid_store.index
    try:
        edge_id = await run_in_threadpool(
            camera_edge, context.sessions, camera_id, index, caller.scope
        )
    except CameraNotFoundError as error:
        raise ApiError(404, str(error)) from None
    except CameraWithoutEdgeError as error:
        raise ApiError(409, str(error), code="camera_without_edge") from None
    # Awaited, not blocked on: a slow edge holds no server thread.
    future = context.edge_requests.submit_snapshot(
        edge_id, camera_id, timeout_s, max_width=max_width
    )
    result = await asyncio.wrap_future(future)
    if not isinstance(result, SnapshotOk):
        raise ApiError(HTTP_STATUS[result.failure], result.reason, code=result.failure.value)
    headers = {
        "Cache-Control": "no-store",
        "X-Captured-At": result.captured_at.isoformat(),
        "X-Edge-Id": result.edge_id,
    }
    return Response(result.jpeg, media_type="image/jpeg", headers=headers)
