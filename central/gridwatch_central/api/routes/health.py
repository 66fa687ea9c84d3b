from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gridwatch_central.api.deps import ContextDep
from gridwatch_central.api.errors import responses
from gridwatch_central.schemas import HealthOut
from gridwatch_central.services import health

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={
        503: {"model": HealthOut, "description": "Database or broker unavailable"},
        **responses(413),
    },
)
def healthz(context: ContextDep) -> HealthOut | JSONResponse:
    result = health.check(context.sessions, context.mqtt_connected)
    if result.status != "ok":
        return JSONResponse(status_code=503, content=result.model_dump(mode="json"))
    return result


@router.get(
    "/metrics",
    # Plain Response (no media type of its own) so that errors are documented as JSON.
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        **responses(413),
    },
)
def metrics(context: ContextDep) -> PlainTextResponse:
    """Prometheus text exposition of this runtime's registry."""
    return PlainTextResponse(generate_latest(context.registry), media_type=CONTENT_TYPE_LATEST)
