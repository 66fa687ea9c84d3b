"""Statistics: the case-loop metrics as charts and tables, CSV, and the printable 月通报."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from gridwatch_central.case_schemas import MetricRowOut
from gridwatch_central.metrics import GroupBy, compute_metrics
from gridwatch_central.metrics.formulas import Figures
from gridwatch_central.metrics.report import BadPeriodError, monthly_report, row_out, to_csv
from gridwatch_central.web.deps import Console, ConsoleDep, ViewerDep
from gridwatch_central.web.session import Viewer

router = APIRouter(prefix="/console")
Level = Annotated[int, Query(ge=0, le=3)]
Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]
# The rates a chart compares across groups (the table has every figure).
CHART_RATES = ["closure_rate", "on_time_closure_rate", "on_time_handling_rate", "false_alarm_rate"]
COLUMNS = ["key", *Figures.model_fields]


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime
    end: datetime
    first_day: str
    last_day: str


def period_of(start: str | None, end: str | None, timezone: ZoneInfo, now: datetime) -> Period:
    """Local calendar days, both inclusive; by default the current month up to today."""
    today = now.astimezone(timezone).date()
    first = datetime.strptime(start, "%Y-%m-%d").date() if start else today.replace(day=1)
    last = datetime.strptime(end, "%Y-%m-%d").date() if end else today
    last = max(last, first)
    return Period(
        start=datetime.combine(first, time(), tzinfo=timezone),
        end=datetime.combine(last + timedelta(days=1), time(), tzinfo=timezone),
        first_day=first.isoformat(),
        last_day=last.isoformat(),
    )


def _rows(
    console: Console, viewer: Viewer, period: Period, group_by: GroupBy, level: int
) -> tuple[list[MetricRowOut], datetime]:
    """The same computation as ``GET /api/v1/metrics``, in the viewer's scope."""
    context = console.context
    as_of = min(context.clock(), period.end)
    with context.sessions() as session:
        found = compute_metrics(
            session,
            start=period.start,
            end=period.end,
            as_of=as_of,
            group_by=group_by,
            level=level,
            scope=viewer.scope,
        )
    return [row_out(row) for row in found], as_of


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """What the statistics page and its CSV are asked for (query parameters)."""

    group_by: GroupBy = GroupBy.GRID
    level: Level = 1
    start: Day = None
    end: Day = None


StatsQueryDep = Annotated[StatsQuery, Depends()]


@router.get("/stats", response_class=HTMLResponse)
def stats_page(
    request: Request, console: ConsoleDep, viewer: ViewerDep, query: StatsQueryDep
) -> Response:
    context = console.context
    group_by, level = query.group_by, query.level
    period = period_of(query.start, query.end, console.renderer.timezone, context.clock())
    rows, as_of = _rows(console, viewer, period, group_by, level)
    chart = {
        "keys": [_key_name(console, group_by, row.key) for row in rows],
        "series": {rate: [getattr(row, rate) for row in rows] for rate in CHART_RATES},
    }
    return console.renderer.page(
        request,
        viewer,
        "stats.html",
        rows=rows,
        names={row.key: _key_name(console, group_by, row.key) for row in rows},
        columns=COLUMNS,
        chart=chart,
        chart_rates=CHART_RATES,
        group_by=group_by.value,
        groups=[g.value for g in GroupBy],
        level=level,
        period=period,
        as_of=as_of,
        month=period.start.strftime("%Y-%m"),
    )


def _key_name(console: Console, group_by: GroupBy, key: str) -> str:
    """A group key as people say it: grid and department names, category names."""
    context = console.context
    if group_by is GroupBy.GRID:
        cell = context.grid_store.index.get(key)
        return cell.name if cell is not None else key
    if group_by is GroupBy.DEPARTMENT:
        department = context.router.department(key)
        return department.name if department is not None else key
    if group_by is GroupBy.CATEGORY:
        category = context.categories.get(key)
        return category.name if category is not None else key
    return key


@router.get("/stats.csv")
def stats_csv(console: ConsoleDep, viewer: ViewerDep, query: StatsQueryDep) -> PlainTextResponse:
    """The table of the statistics page, as ``GET /api/v1/metrics.csv`` writes it."""
    period = period_of(query.start, query.end, console.renderer.timezone, console.context.clock())
    rows, _as_of = _rows(console, viewer, period, query.group_by, query.level)
    name = f"gridwatch-{query.group_by.value}-{period.first_day}-{period.last_day}.csv"
    return PlainTextResponse(
        to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/reports/monthly", response_class=HTMLResponse)
def monthly(
    request: Request,
    console: ConsoleDep,
    viewer: ViewerDep,
    *,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    """月通报, laid out for printing (the browser's print or save as PDF)."""
    context = console.context
    timezone = console.renderer.timezone
    chosen = month or context.clock().astimezone(timezone).strftime("%Y-%m")
    try:
        with context.sessions() as session:
            report = monthly_report(session, chosen, timezone, context.clock(), viewer.scope)
    except BadPeriodError:
        return console.renderer.page(
            request, viewer, "error.html", status_code=400, message_key="error.not_found"
        )
    sections = [
        ("monthly.by_street", GroupBy.GRID, report.by_street),
        ("monthly.by_community", GroupBy.GRID, report.by_community),
        ("monthly.by_department", GroupBy.DEPARTMENT, report.by_department),
        ("monthly.by_category", GroupBy.CATEGORY, report.by_category),
        ("monthly.by_camera", GroupBy.CAMERA, report.by_camera),
    ]
    names = {
        (group.value, row.key): _key_name(console, group, row.key)
        for _label, group, rows in sections
        for row in rows
    }
    last_day = (report.end - timedelta(days=1)).astimezone(timezone).strftime("%Y-%m-%d")
    return console.renderer.page(
        request,
        viewer,
        "monthly.html",
        report=report,
        sections=sections,
        names=names,
        last_day=last_day,
    )
