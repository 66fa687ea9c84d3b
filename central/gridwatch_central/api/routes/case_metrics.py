"""Case-loop metrics as JSON and CSV, and the monthly report (月通报)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime

from gridwatch_central.api.case_loop_deps import LoopDep
from gridwatch_central.api.deps import ScopeDep, SessionDep
from gridwatch_central.case_schemas import MetricsOut, MonthlyReportOut
from gridwatch_central.metrics import GroupBy, compute_metrics
from gridwatch_central.metrics.report import BadPeriodError, monthly_report, row_out, to_csv
from gridwatch_central.schemas import ErrorOut

router = APIRouter(tags=["metrics"])
Level = Annotated[int, Query(ge=0, le=3, description="Grid level for group_by=grid; 0 district")]
BAD_PERIOD: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The period is empty or malformed"}
}


def _metrics(
    session: SessionDep,
    loop: LoopDep,
    scope: ScopeDep,
    *,
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    level: int,
) -> MetricsOut:
    if end <= start:
        raise HTTPException(400, detail="'end' must be after 'start'")
    as_of = min(loop.clock(), end)
    rows = compute_metrics(
        session, start=start, end=end, as_of=as_of, group_by=group_by, level=level, scope=scope
    )
    return MetricsOut(
        start=start,
        end=end,
        as_of=as_of,
        group_by=group_by,
        level=level,
        rows=[row_out(row) for row in rows],
    )


@router.get("/metrics", response_model=MetricsOut, responses=BAD_PERIOD)
def metrics(
    session: SessionDep,
    loop: LoopDep,
    scope: ScopeDep,
    *,
    start: Annotated[AwareDatetime, Query(description="Cases registered from (inclusive)")],
    end: Annotated[
        AwareDatetime, Query(description="… until (exclusive); facts as of min(now, end)")
    ],
    group_by: GroupBy = GroupBy.TOTAL,
    level: Level = 3,
) -> MetricsOut:
    """结案率, 按期结案率, 返工率, 准确派遣率, 按时处置率, 误报率 and mean times per group."""
    return _metrics(session, loop, scope, start=start, end=end, group_by=group_by, level=level)


@router.get(
    "/metrics.csv",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "One line per group"},
        **BAD_PERIOD,
    },
)
def metrics_csv(
    session: SessionDep,
    loop: LoopDep,
    scope: ScopeDep,
    *,
    start: AwareDatetime,
    end: AwareDatetime,
    group_by: GroupBy = GroupBy.TOTAL,
    level: Level = 3,
) -> PlainTextResponse:
    result = _metrics(session, loop, scope, start=start, end=end, group_by=group_by, level=level)
    return PlainTextResponse(to_csv(result.rows), media_type="text/csv; charset=utf-8")


@router.get("/reports/monthly/{month}", response_model=MonthlyReportOut, responses=BAD_PERIOD)
def monthly(session: SessionDep, loop: LoopDep, scope: ScopeDep, month: str) -> MonthlyReportOut:
    """月通报 of ``YYYY-MM`` in the configured time zone, as of now."""
    try:
        return monthly_report(session, month, ZoneInfo(loop.config.timezone), loop.clock(), scope)
    except BadPeriodError as error:
        raise HTTPException(400, detail=str(error)) from None
