"""Where an alert happened: the point used for grid assignment, and the cells holding it.

In order of preference: the ground position of the event's objects through the camera's
homography (so one camera overlooking two micro-grids assigns each event to the right one),
the location the edge sent with the alert, the registered camera's position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gridwatch_central.cameras.directory import CameraDirectory, CameraPlacement
from gridwatch_central.grid.cells import GridAssignment
from gridwatch_central.grid.store import GridStore
from gridwatch_contract.messages import AlertMessage, DetectedObject

LocationSource = Literal["ground", "alert", "camera"]


@dataclass(frozen=True, slots=True)
class Located:
    lat: float | None = None
    lon: float | None = None
    source: LocationSource | None = None
    grid: GridAssignment | None = None


def bottom_centre(objects: Sequence[DetectedObject]) -> tuple[float, float] | None:
    """Mean of the objects' bottom-centre pixels: where they stand on the ground."""
    if not objects:
        return None
    xs = [(obj.box.x1 + obj.box.x2) / 2 for obj in objects]
    ys = [obj.box.y2 for obj in objects]
    return sum(xs) / len(xs), sum(ys) / len(ys)


class Locator:
    def __init__(self, grid: GridStore, cameras: CameraDirectory) -> None:
        self._grid = grid
        self._cameras = cameras

    def locate(self, alert: AlertMessage) -> Located:
        camera = self._cameras.get(alert.camera_id)
        if camera is not None and camera.edge_id != alert.edge_id:
            camera = None  # another edge's camera of the same id: its calibration does not apply
        point = _ground_point(alert, camera)
        source: LocationSource | None = "ground" if point is not None else None
        if point is None and alert.location is not None:
            point, source = (alert.location.lat, alert.location.lon), "alert"
        if point is None and camera is not None:
            point, source = (camera.lat, camera.lon), "camera"
        if point is None:
            return Located()
        grid = self._grid.index.locate(*point)
        return Located(lat=point[0], lon=point[1], source=source, grid=grid)


def _ground_point(
    alert: AlertMessage, camera: CameraPlacement | None
) -> tuple[float, float] | None:
    if camera is None or camera.mapping is None:
        return None
    pixel = bottom_centre(alert.objects)
    if pixel is None:
        return None
    return camera.mapping.to_ground(*pixel, alert.frame.width, alert.frame.height)
