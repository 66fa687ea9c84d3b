"""Building the FastAPI application around a runtime."""

from __future__ import annotations

from fastapi import FastAPI

from gridwatch_central.api.deps import AppContext
from gridwatch_central.api.errors import install_error_handlers
from gridwatch_central.api.middleware import BodySizeLimit
from gridwatch_central.api.routes import admin, alerts, auth, cases, health, ingest

API_PREFIX = "/api/v1"


def create_app(runtime: AppContext, *, max_request_body_bytes: int) -> FastAPI:
    app = FastAPI(
        title="gridwatch central",
        summary="Camera alerts turned into grid-governance cases (网格化管理)",
        version="0.1.0",
    )
    app.state.context = runtime
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_request_body_bytes)
    for router in (auth.router, alerts.router, cases.router, ingest.router, admin.router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    return app
