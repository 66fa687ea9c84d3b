"""Building the FastAPI application around a runtime."""

from __future__ import annotations

from fastapi import FastAPI

from gridwatch_central.api.case_loop_deps import case_loop_error_response
from gridwatch_central.api.deps import AppContext
from gridwatch_central.api.routes import (
    alerts,
    cameras,
    case_actions,
    case_metrics,
    cases,
    categories,
    grids,
    health,
    incidents,
    ingest,
    supervision,
)
from gridwatch_central.cases.errors import CaseLoopError

API_PREFIX = "/api/v1"


def create_app(runtime: AppContext) -> FastAPI:
    app = FastAPI(
        title="gridwatch central",
        summary="Camera alerts turned into grid-governance cases (网格化管理)",
        version="0.1.0",
    )
    app.state.context = runtime
    routers = (
        alerts.router,
        cases.router,
        ingest.router,
        grids.router,
        cameras.router,
        categories.router,
        incidents.router,
        case_actions.router,
        supervision.router,
        case_metrics.router,
    )
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    app.add_exception_handler(CaseLoopError, case_loop_error_response)
    app.include_router(health.router)
    return app
