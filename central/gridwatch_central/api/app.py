"""Building the FastAPI application around a runtime."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from gridwatch_central.api.case_loop_deps import case_loop_error_response
from gridwatch_central.api.deps import AppContext, current_principal, refuse_gateway_keys
from gridwatch_central.api.docs import install_offline_docs
from gridwatch_central.api.errors import install_error_handlers, responses
from gridwatch_central.api.middleware import BodySizeLimit
from gridwatch_central.api.routes import (
    admin,
    alerts,
    auth,
    cameras,
    case_actions,
    case_metrics,
    cases,
    categories,
    clips,
    edges,
    grids,
    health,
    incidents,
    ingest,
    live_snapshot,
    sensors,
    supervision,
)
from gridwatch_central.cases.errors import CaseLoopError
from gridwatch_central.web import mount_console
from gridwatch_central.web.console import UPLOAD_PREFIX
from gridwatch_central.web.deps import ConsoleContext

API_PREFIX = "/api/v1"


def create_app(
    runtime: AppContext,
    *,
    max_request_body_bytes: int,
    console: ConsoleContext | None = None,
) -> FastAPI:
    """The API under /api/v1, health and metrics, and the console under /console if given."""
    app = FastAPI(
        title="gridwatch central",
        summary="Camera alerts turned into grid-governance cases (网格化管理)",
        version="0.1.0",
        # Served by install_offline_docs from packaged assets, not FastAPI's CDN pages.
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = runtime
    install_error_handlers(app)
    install_offline_docs(app)
    # Every body is small except a whole grid file and the photos of a console action (反馈):
    # those paths get their own limits, every other path keeps max_request_body_bytes.
    larger = {f"{API_PREFIX}/grids/import": grids.MAX_IMPORT_BYTES}
    if console is not None:
        larger[UPLOAD_PREFIX] = console.config.console.max_photo_bytes + 64 * 1024
    app.add_middleware(BodySizeLimit, max_bytes=max_request_body_bytes, larger=larger)
    app.include_router(auth.router, prefix=API_PREFIX)
    # Every other API route needs an authenticated caller; each route narrows it further by
    # role and scope. Declared here once, so no new router can forget it.
    authenticated = [Depends(current_principal), Depends(refuse_gateway_keys)]
    routers = (
        admin.router,
        alerts.router,
        cases.router,
        ingest.router,
        grids.router,
        cameras.router,
        cameras.schema_router,
        live_snapshot.router,
        categories.router,
        incidents.router,
        case_actions.router,
        supervision.router,
        case_metrics.router,
        clips.router,
        edges.router,
        sensors.router,
    )
    for router in routers:
        app.include_router(
            router,
            prefix=API_PREFIX,
            dependencies=authenticated,
            responses=responses(401, 413, 422),
        )
    # Authenticates itself: a Bearer token or API key, or a clip's access link (<video src>).
    app.include_router(clips.video_router, prefix=API_PREFIX)
    # Sensor gateways' own way in: the one route a gateway key may call.
    app.include_router(
        sensors.gateway_router,
        prefix=API_PREFIX,
        dependencies=[Depends(current_principal)],
        responses=responses(401, 413, 422),
    )
    app.add_exception_handler(CaseLoopError, case_loop_error_response)
    app.include_router(health.router)
    if console is not None:
        mount_console(app, console)
    return app
