"""Camera sources: create, read, replace, delete; every response redacted and placed on the
grid. Each change is pushed to the camera's edge (and, for a move, to its former edge)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.config_push import stream_url
from gridwatch_central.cameras.config_status import config_status
from gridwatch_central.cameras.directory import CameraDirectory, placement_of
from gridwatch_central.cameras.models import (
    CameraAnalysis,
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
from gridwatch_central.cameras.vault import UrlVault
from gridwatch_central.db import edge_config_repository, grid_repository
from gridwatch_central.db.tables import CameraRow, EdgeRow
from gridwatch_central.grid.index import GridIndex
from gridwatch_contract.camera.url_policy import UrlPolicy, check_camera_url


class CameraExistsError(ValueError):
    def __init__(self, camera_id: str) -> None:
        super().__init__(f"camera {camera_id} already exists; use PUT to change it")


class Publisher(Protocol):
    def publish(self, edge_ids: Iterable[str]) -> None: ...


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
    def __init__(
        self,
        directory: CameraDirectory,
        *,
        vault: UrlVault,
        url_policy: UrlPolicy,
        publisher: Publisher | None = None,
    ) -> None:
        self._directory = directory
        self._vault = vault
        self._policy = url_policy
        self._publisher = publisher

    @property
    def url_policy(self) -> UrlPolicy:
        return self._policy

    @property
    def vault(self) -> UrlVault:
        return self._vault

    def attach_publisher(self, publisher: Publisher) -> None:
        self._publisher = publisher

    def create(self, session: Session, body: CameraIn, grid: GridIndex, scope: Scope) -> CameraOut:
        _check_place(scope, grid, body)
        if grid_repository.get_camera(session, body.id) is not None:
            raise CameraExistsError(body.id)
        check_camera_url(body.rtsp_url, self._policy)
        now = datetime.now(UTC)
        values = {"id": body.id, **self._values(body, body.rtsp_url), "created_at": now}
        values["updated_at"] = now
        values["config_revision"] = edge_config_repository.bump_revision(session, body.edge_id)
        row = grid_repository.add_camera(session, values)
        session.commit()
        self.notify_changed([body.edge_id])
        return to_out(row, grid, edge_config_repository.get_edge(session, row.edge_id))

    def replace(
        self, session: Session, camera_id: str, body: CameraFields, grid: GridIndex, scope: Scope
    ) -> CameraOut | None:
        row = _scoped_row(session, camera_id, grid, scope)
        if row is None:
            return None
        _check_place(scope, grid, body)
        url = keep_stored_credentials(body.rtsp_url, stream_url(row, self._vault))
        check_camera_url(url, self._policy)
        previous_edge = row.edge_id
        values = self._values(body, url)
        values["updated_at"] = datetime.now(UTC)
        # Both edges locked in id order: two moves in opposite directions cannot deadlock.
        revisions = {
            edge_id: edge_config_repository.bump_revision(session, edge_id)
            for edge_id in sorted({previous_edge, body.edge_id})
        }
        values["config_revision"] = revisions[body.edge_id]
        grid_repository.update_camera(session, row, values)
        session.commit()
        self.notify_changed({previous_edge, body.edge_id})
        return to_out(row, grid, edge_config_repository.get_edge(session, row.edge_id))

    def set_analysis(
        self,
        session: Session,
        camera_id: str,
        analysis: CameraAnalysis,
        grid: GridIndex,
        scope: Scope,
    ) -> CameraOut | None:
        """Replace only the zones, rules and thresholds (what the zone editor saves)."""
        row = _scoped_row(session, camera_id, grid, scope)
        if row is None:
            return None
        values = {
            "analysis": analysis.model_dump(mode="json", exclude_defaults=True),
            "updated_at": datetime.now(UTC),
            "config_revision": edge_config_repository.bump_revision(session, row.edge_id),
        }
        grid_repository.update_camera(session, row, values)
        session.commit()
        self.notify_changed([row.edge_id])
        return to_out(row, grid, edge_config_repository.get_edge(session, row.edge_id))

    def delete(self, session: Session, camera_id: str, grid: GridIndex, scope: Scope) -> bool:
        row = _scoped_row(session, camera_id, grid, scope)
        if row is None:
            return False
        edge_id = row.edge_id
        edge_config_repository.bump_revision(session, edge_id)
        grid_repository.delete_camera(session, row)
        session.commit()
        self.notify_changed([edge_id])
        return True

    def encrypt_stored_urls(self, session: Session) -> int:
        """Rows written before URLs were encrypted: encrypt them now (needs the key)."""
        if not self._vault.ready:
            return 0
        rows = [row for row in grid_repository.list_cameras(session) if row.url_encrypted is None]
        for row in rows:
            values = {"url_encrypted": self._vault.encrypt(row.rtsp_url)}
            values["rtsp_url"] = redact_url(row.rtsp_url)
            grid_repository.update_camera(session, row, values)
        session.commit()
        return len(rows)

    def _values(self, body: CameraFields, url: str) -> dict[str, Any]:
        homography = body.homography.model_dump(mode="json") if body.homography else None
        return {
            "edge_id": body.edge_id,
            "name": body.name,
            # Stored redacted: the full URL exists only encrypted (and in the edge's config).
            "rtsp_url": redact_url(url),
            "url_encrypted": self._vault.encrypt(url),
            "lat": body.location.lat,
            "lon": body.location.lon,
            "homography": homography,
            "enabled": body.enabled,
            "heading_deg": body.heading_deg,
            "national_code": body.national_code,
            "analysis": body.analysis.model_dump(mode="json", exclude_defaults=True),
        }

    def notify_changed(self, edge_ids: Iterable[str]) -> None:
        """After a committed change of these edges' cameras: reload, push their configs."""
        self._directory.invalidate()
        if self._publisher is not None:
            self._publisher.publish(edge_ids)


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
    if row is None:
        return None
    camera = to_out(row, grid, edge_config_repository.get_edge(session, row.edge_id))
    return camera if visible(scope, camera) else None


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
    edges = edge_config_repository.edges_by_id(session, {row.edge_id for row in rows})
    shown = (to_out(row, grid, edges.get(row.edge_id)) for row in rows)
    cameras = [camera for camera in shown if visible(scope, camera)]
    if grid_code is not None:
        cameras = [c for c in cameras if grid_code in {g.code for g in c.grids + c.viewed_grids}]
    page = cameras[offset : offset + limit]
    return CameraPage(total=len(cameras), limit=limit, offset=offset, items=page)


def to_out(row: CameraRow, grid: GridIndex, edge: EdgeRow | None) -> CameraOut:
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
        # Stored redacted (a row from before encryption is redacted here).
        rtsp_url=redact_url(row.rtsp_url),
        has_credentials=has_credentials(row.rtsp_url),
        location=GeoPointIn(lat=row.lat, lon=row.lon),
        homography=_homography_out(row, placement.mapping),
        grids=grids,
        viewed_grids=viewed,
        created_at=row.created_at,
        updated_at=row.updated_at,
        enabled=row.enabled,
        heading_deg=row.heading_deg,
        national_code=row.national_code,
        analysis=CameraAnalysis.model_validate(row.analysis or {}),
        config=config_status(row, edge),
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
