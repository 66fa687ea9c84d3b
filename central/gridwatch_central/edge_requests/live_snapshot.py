"""Which edge to ask for a camera's live snapshot, and whether the caller may see the camera.

The camera registry names each camera's edge. A caller sees a camera when its scope covers a
grid cell the camera stands in or looks into; otherwise the camera does not exist for it (the
API answers 404 for both, as for every other row outside a scope).
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.service import get_camera
from gridwatch_central.grid.index import GridIndex


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
