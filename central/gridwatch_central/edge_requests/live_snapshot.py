"""A camera's live snapshot for a caller: which edge to ask, whether the caller may see the
camera, and the asking itself — one path for the API and the console's pages.

The camera registry names each camera's edge. A caller sees a camera when its scope covers a
grid cell the camera stands in or looks into; otherwise the camera does not exist for it (the
API answers 404 for both, as for every other row outside a scope).
"""

from __future__ import annotations

import asyncio
from typing import Final, Protocol

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.service import get_camera
from gridwatch_central.edge_requests.client import EdgeRequestClient
from gridwatch_central.edge_requests.results import SnapshotFailure, SnapshotResult
from gridwatch_central.grid.index import GridIndex
from gridwatch_central.grid.store import GridStore

# A person looking at a spinner gives up after a few seconds; 30 s is for slow uplinks.
DEFAULT_TIMEOUT_S: Final = 5.0
MAX_TIMEOUT_S: Final = 30.0
# What each failure becomes over HTTP: the edge's and camera's states are conflicts with what
# the caller asked for (409), no answer is a gateway timeout (504), an edge error a bad gateway.
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


class LiveSnapshotContext(Protocol):
    """Provided by ``CentralRuntime``."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def grid_store(self) -> GridStore: ...

    @property
    def edge_requests(self) -> EdgeRequestClient: ...


class CameraNotFoundError(LookupError):
    def __init__(self, camera_id: str) -> None:
        super().__init__(f"camera {camera_id} not found")


class CameraWithoutEdgeError(ValueError):
    def __init__(self, camera_id: str) -> None:
        super().__init__(
            f"camera {camera_id} has no edge in the camera registry: set its edge_id"
            " (PUT /api/v1/cameras/{id}) to the edge that analyses it"
        )


def camera_edge(
    sessions: sessionmaker[Session], camera_id: str, grid: GridIndex, scope: Scope
) -> str:
    """The id of the edge that runs ``camera_id``, if ``scope`` may see the camera."""
    with sessions() as session:
        camera = get_camera(session, camera_id, grid, scope)
    if camera is None:
        raise CameraNotFoundError(camera_id)
    if not camera.edge_id:
        raise CameraWithoutEdgeError(camera_id)
    return camera.edge_id


async def fetch_live_snapshot(
    context: LiveSnapshotContext,
    camera_id: str,
    scope: Scope,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_width: int | None = None,
) -> SnapshotResult:
    """The camera's latest frame from its edge, or why not; ``CameraNotFoundError`` or
    ``CameraWithoutEdgeError`` before anything is asked."""
    index = context.grid_store.index
    edge_id = await asyncio.to_thread(camera_edge, context.sessions, camera_id, index, scope)
    # Awaited, not blocked on: a slow edge holds no server thread.
    future = context.edge_requests.submit_snapshot(
        edge_id, camera_id, timeout_s, max_width=max_width
    )
    return await asyncio.wrap_future(future)
