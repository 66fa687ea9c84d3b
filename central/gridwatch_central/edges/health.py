"""What an operator sees of the edges: stored reports judged for staleness, within a scope.

An edge is shown offline when its status says so (the edge's own goodbye or the broker's last
will) and also when central has heard nothing from it for ``stale_after_intervals`` of its
stats interval: a broker that restarted has forgotten every will, and a frozen edge process
keeps its connection open. Its cameras are then shown offline too, whatever they last said.

Scope: an unrestricted caller (admin) sees every edge. A caller limited to grids sees the
edges that have at least one registered camera (``/api/v1/cameras``, which places it on the
grid) inside those grids, and of those edges only the cameras inside them; a camera nobody
registered has no place on the grid and is shown to unrestricted callers only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.config import EdgeMonitorConfig
from gridwatch_central.db import edge_repository as repo
from gridwatch_central.db import grid_repository
from gridwatch_central.db.tables import CameraHealthRow, CameraRow, EdgeRow
from gridwatch_central.edges.models import (
    CameraHealthOut,
    Connection,
    EdgeConfigOut,
    EdgeOut,
    EdgePage,
    EdgeState,
    ModelOut,
    StateReason,
)
from gridwatch_central.grid.index import GridIndex

# Stored strings back to their literal types (a value from a future edge shows as None).
_STATES: dict[str, EdgeState] = {"online": "online", "offline": "offline"}
_CONNECTIONS: dict[str, Connection] = {"good": "good", "degraded": "degraded", "offline": "offline"}


@dataclass(frozen=True, slots=True)
class _Visible:
    """What a scoped caller may see; ``None`` in its place means everything."""

    edges: frozenset[str]
    cameras: frozenset[str]

    def edge(self, edge_id: str, reported: Sequence[CameraHealthRow]) -> bool:
        return edge_id in self.edges or any(c.camera_id in self.cameras for c in reported)


class EdgeHealth:
    def __init__(self, config: EdgeMonitorConfig) -> None:
        self._config = config

    def list_edges(
        self,
        session: Session,
        *,
        scope: Scope,
        grid: GridIndex,
        now: datetime,
        limit: int,
        offset: int,
        state: EdgeState | None = None,
        monitor_connected: bool,
    ) -> EdgePage:
        shown = self._shown(session, repo.edges_with_cameras(session), scope, grid, now)
        if state is not None:
            shown = [edge for edge in shown if edge.state == state]
        return EdgePage(
            items=shown[offset : offset + limit],
            total=len(shown),
            limit=limit,
            offset=offset,
            as_of=now,
            monitor_connected=monitor_connected,
        )

    def get_edge(
        self, session: Session, edge_id: str, *, scope: Scope, grid: GridIndex, now: datetime
    ) -> EdgeOut | None:
        """The edge, or None when it is unknown or outside the scope (indistinguishable)."""
        shown = self._shown(session, repo.edges_with_cameras(session, edge_id), scope, grid, now)
        return shown[0] if shown else None

    def _shown(
        self,
        session: Session,
        edges: Sequence[tuple[EdgeRow, list[CameraHealthRow]]],
        scope: Scope,
        grid: GridIndex,
        now: datetime,
    ) -> list[EdgeOut]:
        registrations = grid_repository.list_cameras(session)
        registered = {row.id for row in registrations}
        visible = None if scope.unrestricted else _visible(registrations, scope, grid)
        shown: list[EdgeOut] = []
        for edge, reported in edges:
            cameras = reported
            if visible is not None:
                # A registered edge placed in the caller's grids is theirs before any camera.
                if not visible.edge(edge.id, reported) and not scope.covers_grid(edge.grid_code):
                    continue
                cameras = [camera for camera in reported if camera.camera_id in visible.cameras]
            shown.append(self._edge_out(edge, cameras, registered, now))
        return shown

    def _edge_out(
        self,
        edge: EdgeRow,
        cameras: Sequence[CameraHealthRow],
        registered: set[str],
        now: datetime,
    ) -> EdgeOut:
        interval = edge.stats_interval_s or self._config.default_stats_interval_s
        stale_after_s = self._config.stale_after_intervals * interval
        if edge.last_seen_at is None:
            seen_ago_s: float | None = None
            state, reason = _NEVER_SEEN
        else:
            seen_ago_s = round(max((now - edge.last_seen_at).total_seconds(), 0.0), 3)
            state, reason = _judge(edge.reported_state, stale=seen_ago_s > stale_after_s)
        camera_out = [_camera_out(c, c.camera_id in registered, state) for c in cameras]
        model = None
        if edge.model_name is not None and edge.model_version is not None:
            model = ModelOut(name=edge.model_name, version=edge.model_version)
        return EdgeOut(
            edge_id=edge.id,
            state=state,
            state_reason=reason,
            reported_state=_STATES.get(edge.reported_state or ""),
            state_changed_at=edge.state_changed_at,
            last_seen_at=edge.last_seen_at,
            seen_ago_s=seen_ago_s,
            stale_after_s=stale_after_s,
            first_seen_at=edge.first_seen_at,
            registered=edge.registered,
            name=edge.name,
            grid_code=edge.grid_code,
            config=edge_config_out(edge),
            software_version=edge.software_version,
            model=model,
            stats_interval_s=edge.stats_interval_s,
            stats_at=edge.stats_at,
            uptime_s=edge.uptime_s,
            outbox_depth=edge.outbox_depth,
            inference_ms_p50=edge.inference_ms_p50,
            cameras_total=len(camera_out),
            cameras_online=sum(camera.online for camera in camera_out),
            cameras=camera_out,
        )


_NEVER_SEEN: tuple[EdgeState, StateReason] = ("offline", "never_seen")


def edge_config_out(edge: EdgeRow) -> EdgeConfigOut:
    return EdgeConfigOut(
        revision=edge.config_revision,
        published=not edge.config_dirty,
        published_at=edge.config_published_at,
        applied_revision=edge.applied_revision,
        rejected_revision=edge.rejected_revision,
        error=edge.config_error,
        camera_errors={str(k): str(v) for k, v in (edge.camera_errors or {}).items()},
    )


def _judge(reported: str | None, *, stale: bool) -> tuple[EdgeState, StateReason]:
    if reported == "offline":
        return "offline", "reported_offline"
    if stale:
        return "offline", "stale"
    if reported is None:
        return "online", "no_status"  # fresh stats prove it alive; its status will follow
    return "online", "reported_online"


def _visible(registrations: Sequence[CameraRow], scope: Scope, grid: GridIndex) -> _Visible:
    """The registered cameras standing in the scope's grids, and the edges they belong to."""
    edges: set[str] = set()
    cameras: set[str] = set()
    for camera in registrations:
        assignment = grid.locate(camera.lat, camera.lon)
        if assignment is None:
            continue
        levels = (assignment.level1, assignment.level2, assignment.level3)
        if scope.covers_grid(*(ref.code for ref in levels if ref is not None)):
            edges.add(camera.edge_id)
            cameras.add(camera.id)
    return _Visible(frozenset(edges), frozenset(cameras))


def _camera_out(row: CameraHealthRow, registered: bool, edge_state: EdgeState) -> CameraHealthOut:
    return CameraHealthOut(
        camera_id=row.camera_id,
        registered=registered,
        online=row.online and edge_state == "online",
        reported_online=row.online,
        connection=_CONNECTIONS.get(row.connection or ""),
        input_fps=row.input_fps,
        analysed_fps=row.analysed_fps,
        frames_read=row.frames_read,
        frames_analysed=row.frames_analysed,
        frames_skipped=row.frames_skipped,
        frames_motion_skipped=row.frames_motion_skipped,
        reconnects_last_hour=row.reconnects_last_hour,
        alerts=row.alerts,
        last_frame_at=row.last_frame_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        reported_at=row.reported_at,
    )
