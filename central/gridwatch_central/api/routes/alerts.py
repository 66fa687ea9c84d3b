from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from gridwatch_central.api.deps import DEFAULT_PAGE_SIZE, ContextDep, Limit, Offset, SessionDep
from gridwatch_central.db.repository import AlertFilter
from gridwatch_central.schemas import AlertOut, AlertPage, ErrorOut
from gridwatch_central.services import alerts
from gridwatch_contract.messages import EventType

router = APIRouter(prefix="/alerts", tags=["alerts"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such alert"}
}


@router.get("", response_model=AlertPage)
def list_alerts(
    session: SessionDep,
    *,
    limit: Limit = DEFAULT_PAGE_SIZE,
    offset: Offset = 0,
    camera_id: str | None = None,
    event_type: EventType | None = None,
    grid_code: Annotated[str | None, Query(description="A grid code of any level")] = None,
) -> AlertPage:
    kind = event_type.value if event_type is not None else None
    where = AlertFilter(camera_id=camera_id, event_type=kind, grid_code=grid_code)
    return alerts.list_alerts(session, where, limit, offset)


@router.get("/{alert_id}", response_model=AlertOut, responses=NOT_FOUND)
def get_alert(session: SessionDep, alert_id: uuid.UUID) -> AlertOut:
    alert = alerts.get_alert(session, alert_id)
    if alert is None:
        raise HTTPException(404, detail=f"alert {alert_id} not found")
    return alert


@router.get(
    "/{alert_id}/snapshot",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "The JPEG sent with the alert"},
        404: {"model": ErrorOut, "description": "No such alert, or it has no stored snapshot"},
    },
)
def get_snapshot(session: SessionDep, context: ContextDep, alert_id: uuid.UUID) -> Response:
    image = alerts.get_snapshot(session, context.snapshots, alert_id)
    if image is None:
        raise HTTPException(404, detail=f"no stored snapshot for alert {alert_id}")
    return Response(content=image, media_type="image/jpeg")
