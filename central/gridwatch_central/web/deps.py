"""What the console's routes need: the runtime (as services), the viewer, the renderer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol, cast

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.service import AuthService
from gridwatch_central.cameras.service import CameraService
from gridwatch_central.cases.errors import CaseLoopError
from gridwatch_central.cases.service import CaseService
from gridwatch_central.categories import CategoryMap
from gridwatch_central.clips.store import ClipStore
from gridwatch_central.clock import Clock
from gridwatch_central.config import CentralConfig
from gridwatch_central.edge_requests import EdgeRequestClient
from gridwatch_central.edges.health import EdgeHealth
from gridwatch_central.edges.registry import EdgeRegistry
from gridwatch_central.grid.store import GridStore
from gridwatch_central.review import ReviewService
from gridwatch_central.routing import Router
from gridwatch_central.sensors.runtime import SensorRuntime
from gridwatch_central.services.incident_feed import IncidentFeed
from gridwatch_central.snapshots import SnapshotStore
from gridwatch_central.web.assets import VendorAssets
from gridwatch_central.web.render import Renderer
from gridwatch_central.web.session import Viewer, check_csrf, current_viewer


class ConsoleContext(Protocol):
    """What the console needs from the runtime (``CentralRuntime`` provides it): the same
    services the API routes call, never a repository."""

    @property
    def config(self) -> CentralConfig: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def snapshots(self) -> SnapshotStore: ...

    @property
    def auth(self) -> AuthService: ...

    @property
    def auth_enabled(self) -> bool: ...

    @property
    def case_service(self) -> CaseService: ...

    @property
    def review(self) -> ReviewService: ...

    @property
    def router(self) -> Router: ...

    @property
    def grid_store(self) -> GridStore: ...

    @property
    def camera_service(self) -> CameraService: ...

    @property
    def categories(self) -> CategoryMap: ...

    @property
    def clips(self) -> ClipStore: ...

    @property
    def edge_health(self) -> EdgeHealth: ...

    @property
    def edge_monitor_connected(self) -> bool: ...

    @property
    def edge_registry(self) -> EdgeRegistry: ...

    @property
    def edge_requests(self) -> EdgeRequestClient: ...

    @property
    def sensors(self) -> SensorRuntime: ...

    @property
    def sensors_enabled(self) -> bool: ...


def sensor_units(context: ConsoleContext) -> dict[str, str | None]:
    """Each sensor type's unit (the readings on sensor cards and cases); none when central
    runs without sensors."""
    if not context.sensors_enabled:
        return {}
    return {name: kind.unit for name, kind in context.sensors.directory.types.types.items()}


@dataclass(frozen=True, slots=True)
class Console:
    """The console's own parts, made once when it is mounted."""

    context: ConsoleContext
    renderer: Renderer
    feed: IncidentFeed
    assets: VendorAssets


def get_console(request: Request) -> Console:
    return cast(Console, request.app.state.console)


ConsoleDep = Annotated[Console, Depends(get_console)]


def get_viewer(request: Request, console: ConsoleDep) -> Viewer:
    return current_viewer(request, console.context)


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


async def get_poster(request: Request, viewer: ViewerDep) -> Viewer:
    """The viewer of a POST that proved it comes from a console page (CSRF)."""
    await check_csrf(request, viewer)
    return viewer


PosterDep = Annotated[Viewer, Depends(get_poster)]


def status_of(error: CaseLoopError) -> int:
    """The HTTP status the API gives the same refusal (see ``api.case_loop_deps``)."""
    return {"not_found": 404, "forbidden": 403, "illegal_transition": 409}.get(error.code, 400)
