"""The alert queue: scoped lists, details and snapshots.

An alert outside the caller's scope answers 404 exactly like a missing one (not 403): a 403
would confirm that the id exists, and alert ids leaking across streets tell which cameras
saw what where.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    ContextDep,
    Limit,
    Offset,
    ScopeDep,
    SessionDep,
)
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.db.repository import AlertFilter
from gridwatch_central.schemas import AlertOut, AlertPage
from gridwatch_central.services import alerts
from gridwatch_contract.messages import AlertState, EventType

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("", response_model=AlertPage, responses=responses(401, 413, 422))
def list_alerts(
    session: SessionDep,
    scope: ScopeDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    camera_id: str | None = None,
    event_type: EventType | None = None,
    state: AlertState | None = None,
    grid_code: Annotated[str | None, Query(description="A grid code of any level")] = None,
    received_from: Annotated[datetime | None, Query(description="Server time, inclusive")] = None,
    received_to: Annotated[datetime | None, Query(description="Server time, exclusive")] = None,
) -> AlertPage:
    """Alerts in the caller's scope, newest first."""
    where = AlertFilter(
        camera_id=camera_id,
        event_type=event_type.value if event_type is not None else None,
        grid_code=grid_code,
        state=state.value if state is not None else None,
        received_from=received_from,
        received_to=received_to,
    )
    return alerts.list_alerts(session, scope, where, limit, offset)


@router.get(
    "/{alert_id}",
    response_model=AlertOut,
    responses=responses(401, 404, 413, 422, d404="No such alert in your scope"),
)
def get_alert(session: SessionDep, scope: ScopeDep, alert_id: uuid.UUID) -> AlertOut:
    alert = alerts.get_alert(session, scope, alert_id)
    if alert is None:
        raise ApiError(404, f"alert {alert_id} not found")
    return alert


@router.get(
    "/{alert_id}/snapshot",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The JPEG sent with the alert"},
        **responses(
            401, 404, 413, 422, d404="No such alert in your scope, or it has no stored snapshot"
        ),
    },
)
def get_snapshot(
    session: SessionDep,
    context: ContextDep,
    scope: ScopeDep,
    alert_id: uuid.UUID,
    clean: Annotated[
        bool, Query(description="The frame without the edge's drawings, when it sent one")
    ] = False,
) -> Response:
    image = alerts.get_snapshot(session, scope, context.snapshots, alert_id, clean=clean)
    if image is None:
        raise ApiError(404, f"no stored snapshot for alert {alert_id}")
    return Response(content=image, media_type="image/jpeg")
