"""Camera sources: create, read, replace, delete; every response redacted and placed on the grid."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.directory import CameraDirectory, placement_of
from gridwatch_central.cameras.models import (
    CameraFields,
    CameraIn,
    CameraOut,
    CameraPage,
    GeoPointIn,
    GridRefOut,
    HomographyIn,
    HomographyOut,
)
from gridwatch_central.cameras.urls import has_credentials, keep_stored_credentials, redact_url
from gridwatch_central.db import grid_repository
from gridwatch_central.db.tables import CameraRow
from gridwatch_central.grid.index import GridIndex


class CameraExistsError(ValueError):
    def __init__(self, camera_id: str) -> None:
        super().__init__(f"camera {camera_id} already exists; use PUT to change it")


class CameraOutOfScopeError(PermissionError):
    """The camera would stand outside the caller's grids: they may not put it there."""

    def __init__(self, lat: float, lon: float) -> None:
        super().__init__(f"({lat}, {lon}) lies outside the grids you may manage")


def in_scope(scope: Scope, grid: GridIndex, lat: float, lon: float) -> bool:
    """A camera belongs to the grid cells holding where it stands; outside the grid, only an
    unrestricted caller (admin) manages it."""
    if scope.unrestricted:
        return True
    assignment = grid.locate(lat, lon)
    if assignment is None:
        return False
    cells = (assignment.level1, assignment.level2, assignment.level3)
    return scope.covers_grid(*(cell.code for cell in cells if cell is not None))


class CameraService:
    def __init__(self, directory: CameraDirectory) -> None:
        self._directory = directory

    def create(self, session: Session, body: CameraIn, grid: GridIndex, scope: Scope) -> CameraOut:
        _check_place(scope, grid, body)
        if grid_repository.get_camera(session, body.id) is not None:
            raise CameraExistsError(body.id)
        now = datetime.now(UTC)
        values = {"id": body.id, **_values(body), "created_at": now, "updated_at": now}
        row = grid_repository.add_camera(session, values)
        session.commit()
        self._directory.invalidate()
        return to_out(row, grid)

    def replace(
        self, session: Session, camera_id: str, body: CameraFields, grid: GridIndex, scope: Scope
    ) -> CameraOut | None:
        row = _scoped_row(session, camera_id, grid, scope)
        if row is None:
            return None
        _check_place(scope, grid, body)
        values = _values(body)
        values["rtsp_url"] = keep_stored_credentials(body.rtsp_url, row.rtsp_url)
        values["updated_at"] = datetime.now(UTC)
        grid_repository.update_camera(session, row, values)
        session.commit()
        self._directory.invalidate()
        return to_out(row, grid)

    def delete(self, session: Session, camera_id: str, grid: GridIndex, scope: Scope) -> bool:
        row = _scoped_row(session, camera_id, grid, scope)
        if row is None:
            return False
        grid_repository.delete_camera(session, row)
        session.commit()
        self._directory.invalidate()
        return True


def _check_place(scope: Scope, grid: GridIndex, body: CameraFields) -> None:
    if not in_scope(scope, grid, body.location.lat, body.location.lon):
        raise CameraOutOfScopeError(body.location.lat, body.location.lon)


def _scoped_row(
    session: Session, camera_id: str, grid: GridIndex, scope: Scope
) -> CameraRow | None:
    """The camera if the caller may see it; one outside the scope is as missing (404)."""
    row = grid_repository.get_camera(session, camera_id)
    if row is None or not in_scope(scope, grid, row.lat, row.lon):
        return None
    return row


def get_camera(session: Session, camera_id: str, grid: GridIndex, scope: Scope) -> CameraOut | None:
    """The camera if it stands in or overlooks one of the caller's grids."""
    row = grid_repository.get_camera(session, camera_id)
    camera = to_out(row, grid) if row is not None else None
    return camera if camera is not None and visible(scope, camera) else None


def visible(scope: Scope, camera: CameraOut) -> bool:
    """Readers see the cameras standing in or looking into their grids."""
    return scope.covers_grid(*(cell.code for cell in [*camera.grids, *camera.viewed_grids]))


def list_cameras(
    session: Session,
    grid: GridIndex,
    scope: Scope,
    *,
    edge_id: str | None,
    grid_code: str | None,
    limit: int,
    offset: int,
) -> CameraPage:
    rows = grid_repository.list_cameras(session, edge_id)
    cameras = [camera for camera in (to_out(row, grid) for row in rows) if visible(scope, camera)]
    if grid_code is not None:
        cameras = [c for c in cameras if grid_code in {g.code for g in c.grids + c.viewed_grids}]
    page = cameras[offset : offset + limit]
    return CameraPage(total=len(cameras), limit=limit, offset=offset, items=page)


def _values(body: CameraFields) -> dict[str, Any]:
    homography = body.homography.model_dump(mode="json") if body.homography else None
    return {
        "edge_id": body.edge_id,
        "name": body.name,
        "rtsp_url": body.rtsp_url,
        "lat": body.location.lat,
        "lon": body.location.lon,
        "homography": homography,
    }


def to_out(row: CameraRow, grid: GridIndex) -> CameraOut:
    placement = placement_of(row)
    assignment = grid.locate(row.lat, row.lon)
    cells = [assignment.level1, assignment.level2, assignment.level3] if assignment else []
    grids = [GridRefOut(code=c.code, name=c.name, level=n + 1) for n, c in enumerate(cells) if c]
    viewed: list[GridRefOut] = []
    if placement.footprint is not None:
        viewed = [
            GridRefOut(code=c.code, name=c.name, level=c.level)
            for c in grid.intersecting(placement.footprint, level=3)
            # Touching the calibrated area's edge is not seeing into the cell.
            if c.geometry.intersection(placement.footprint).area > 0
        ]
    return CameraOut(
        id=row.id,
        edge_id=row.edge_id,
        name=row.name,
        rtsp_url=redact_url(row.rtsp_url),
        has_credentials=has_credentials(row.rtsp_url),
        location=GeoPointIn(lat=row.lat, lon=row.lon),
        homography=_homography_out(row, placement.mapping),
        grids=grids,
        viewed_grids=viewed,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _homography_out(row: CameraRow, mapping: Any) -> HomographyOut | None:
    if row.homography is None or mapping is None:
        return None
    homography = HomographyIn.model_validate(row.homography)
    return HomographyOut(
        frame=homography.frame,
        points=homography.points,
        matrix=[[round(float(v), 9) for v in line] for line in mapping.matrix],
        rms_error_m=round(mapping.rms_error_m, 3),
        max_error_m=round(mapping.max_error_m, 3),
        point_errors_m=list(mapping.errors_m),
    )
