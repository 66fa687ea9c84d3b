from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gridwatch_central.api.deps import ContextDep
from gridwatch_central.api.errors import responses
from gridwatch_central.schemas import HealthOut, ReadyOut
from gridwatch_central.services import health

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={
        503: {
            "model": HealthOut,
            "description": "Database or broker unavailable, or ingest held or stalled",
        },
        **responses(413),
    },
)
def healthz(context: ContextDep) -> HealthOut | JSONResponse:
    result = health.check(
        context.sessions,
        context.mqtt_connected,
        context.ingest_metrics.progress,
        context.ingest_stall_after_s,
    )
    if result.status != "ok":
        return JSONResponse(status_code=503, content=result.model_dump(mode="json"))
    return result


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={
        503: {"model": ReadyOut, "description": "Not taking work now (see detail)"},
        **responses(413),
    },
)
def readyz(context: ContextDep) -> ReadyOut | JSONResponse:
    """Ready to take work: the database answers, the broker subscription stands, and ingest is
    not waiting out an outage. Not ready is no reason to restart: ingest resumes by itself."""
    result = health.ready(context.sessions, context.mqtt_connected, context.ingest_metrics.progress)
    if not result.ready:
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
