"""Building the FastAPI application around a runtime."""

from __future__ import annotations

from fastapi import FastAPI

from gridwatch_central.api.deps import AppContext
from gridwatch_central.api.routes import alerts, cameras, cases, categories, grids, health, ingest

API_PREFIX = "/api/v1"


def create_app(runtime: AppContext) -> FastAPI:
    app = FastAPI(
        title="gridwatch central",
        summary="Camera alerts turned into grid-governance cases (网格化管理)",
        version="0.1.0",
    )
    app.state.context = runtime
    for router in (
        alerts.router,
        cases.router,
        ingest.router,
        grids.router,
        cameras.router,
        categories.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    return app
