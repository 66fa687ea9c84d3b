"""Case-loop metrics as JSON and CSV, and the monthly report (月通报).

Without ``start`` and ``end`` every route covers the current month in the configured time zone
(``timezone`` in the central config), and says so: ``period``/``month`` in JSON, the
``X-Period-*`` headers and the file name of the CSV.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import PlainTextResponse
from pydantic import AwareDatetime

from gridwatch_central.api.case_loop_deps import LoopDep
from gridwatch_central.api.deps import ScopeDep, SessionDep
from gridwatch_central.case_schemas import MetricsOut, MonthlyReportOut
from gridwatch_central.metrics import GroupBy, compute_metrics
from gridwatch_central.metrics.report import (
    BadPeriodError,
    current_month,
    monthly_report,
    resolve_period,
    row_out,
    to_csv,
)
from gridwatch_central.schemas import ErrorOut

router = APIRouter(tags=["metrics"])
Level = Annotated[int, Query(ge=0, le=3, description="Grid level for group_by=grid; 0 district")]
Start = Annotated[
    AwareDatetime | None,
    Query(description="Cases registered from (inclusive); with 'end', or neither for this month"),
]
End = Annotated[
    AwareDatetime | None,
    Query(description="… until (exclusive); facts as of min(now, end)"),
]
BAD_PERIOD: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The period is empty, half given or malformed"}
}


def _metrics(
    session: SessionDep,
    loop: LoopDep,
    scope: ScopeDep,
    *,
    start: datetime | None,
    end: datetime | None,
    group_by: GroupBy,
    level: int,
) -> MetricsOut:
    timezone = ZoneInfo(loop.config.timezone)
    now = loop.clock()
    try:
        period = resolve_period(start, end, now, timezone)
    except BadPeriodError as error:
        raise HTTPException(400, detail=str(error)) from None
    as_of = min(now, period.end)
    rows = compute_metrics(
        session,
        start=period.start,
        end=period.end,
        as_of=as_of,
        group_by=group_by,
        level=level,
        scope=scope,
    )
    return MetricsOut(
        start=period.start,
        end=period.end,
        period=period.source,
        month=period.month,
        timezone=str(timezone),
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
    start: Start = None,
    end: End = None,
    group_by: GroupBy = GroupBy.TOTAL,
    level: Level = 3,
) -> MetricsOut:
    """结案率, 按期结案率, 返工率, 准确派遣率, 按时处置率, 误报率 and mean times per group.

    Without ``start`` and ``end``: the current month in the configured time zone."""
    return _metrics(session, loop, scope, start=start, end=end, group_by=group_by, level=level)


@router.get(
    "/metrics.csv",
    # Plain Response (no media type of its own) so that the errors are documented as JSON.
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "One line per group; the period in the X-Period-* headers",
        },
        **BAD_PERIOD,
    },
)
def metrics_csv(
    session: SessionDep,
    loop: LoopDep,
    scope: ScopeDep,
    *,
    start: Start = None,
    end: End = None,
    group_by: GroupBy = GroupBy.TOTAL,
    level: Level = 3,
) -> PlainTextResponse:
    result = _metrics(session, loop, scope, start=start, end=end, group_by=group_by, level=level)
    name = f"metrics-{result.month or result.start.date().isoformat()}.csv"
    headers = {
        "X-Period": result.period,
        "X-Period-Start": result.start.isoformat(),
        "X-Period-End": result.end.isoformat(),
        "Content-Disposition": f'attachment; filename="{name}"',
    }
    return PlainTextResponse(
        to_csv(result.rows), media_type="text/csv; charset=utf-8", headers=headers
    )


@router.get("/reports/monthly", response_model=MonthlyReportOut)
def monthly_current(session: SessionDep, loop: LoopDep, scope: ScopeDep) -> MonthlyReportOut:
    """月通报 of the current month in the configured time zone, as of now."""
    timezone = ZoneInfo(loop.config.timezone)
    now = loop.clock()
    return monthly_report(session, current_month(now, timezone), timezone, now, scope)


@router.get("/reports/monthly/{month}", response_model=MonthlyReportOut, responses=BAD_PERIOD)
def monthly(
    session: SessionDep,
    loop: LoopDep,
    scope: ScopeDep,
    month: Annotated[str, Path(pattern=r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$", examples=["2026-05"])],
) -> MonthlyReportOut:
    """月通报 of ``YYYY-MM`` in the configured time zone, as of now."""
    try:
        return monthly_report(session, month, ZoneInfo(loop.config.timezone), loop.clock(), scope)
    except BadPeriodError as error:
        raise HTTPException(400, detail=str(error)) from None
