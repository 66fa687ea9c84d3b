"""Report shapes of the metrics: API rows, CSV export and the monthly report (月通报)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.case_schemas import MetricRowOut, MonthlyReportOut
from gridwatch_central.db import case_repository as repo
from gridwatch_central.metrics.formulas import Figures, aggregate
from gridwatch_central.metrics.service import GroupBy, MetricRow, compute_metrics


class BadPeriodError(ValueError):
    pass


def row_out(row: MetricRow) -> MetricRowOut:
    return MetricRowOut(group_by=row.group_by, key=row.key, **row.figures.model_dump())


def to_csv(rows: list[MetricRowOut]) -> str:
    """One line per group, the columns of ``MetricRowOut``; empty cells for undefined rates."""
    buffer = io.StringIO()
    columns = ["group_by", "key", *Figures.model_fields]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow({key: "" if values[key] is None else values[key] for key in columns})
    return buffer.getvalue()


def month_bounds(month: str, timezone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of ``YYYY-MM`` in local time."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=timezone)
    except ValueError:
        raise BadPeriodError(f"month {month!r} is not YYYY-MM") from None
    following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, following


def current_month(now: datetime, timezone: ZoneInfo) -> str:
    """``YYYY-MM`` of ``now`` on the calendar of ``timezone`` (01:00 on the 1st in Shanghai is
    still the last day of the previous month in UTC)."""
    return now.astimezone(timezone).strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class Period:
    """The [start, end) a metrics request covers, and how it was chosen."""

    start: datetime
    end: datetime
    # "requested": the caller gave start and end; "current_month": neither, so this month.
    source: Literal["requested", "current_month"]
    month: str | None = None


def resolve_period(
    start: datetime | None, end: datetime | None, now: datetime, timezone: ZoneInfo
) -> Period:
    """The caller's period, or the current month of ``timezone`` when they gave neither bound.

    A dashboard asking "how are we doing" without dates wants this month's figures; a single
    bound is a mistake (which month would it mean?), so it is refused rather than guessed.
    """
    if start is None and end is None:
        month = current_month(now, timezone)
        first, following = month_bounds(month, timezone)
        return Period(first, following, "current_month", month)
    if start is None or end is None:
        raise BadPeriodError("give both 'start' and 'end', or neither for the current month")
    if end <= start:
        raise BadPeriodError("'end' must be after 'start'")
    return Period(start, end, "requested")


def monthly_report(
    session: Session, month: str, timezone: ZoneInfo, as_of: datetime, scope: Scope | None
) -> MonthlyReportOut:
    start, end = month_bounds(month, timezone)

    def rows(group_by: GroupBy, level: int = 3) -> list[MetricRowOut]:
        found = compute_metrics(
            session, start=start, end=end, as_of=as_of, group_by=group_by, level=level, scope=scope
        )
        return [row_out(row) for row in found]

    totals = rows(GroupBy.TOTAL)
    total = totals[0] if totals else row_out(MetricRow(GroupBy.TOTAL, "all", aggregate([], [])))
    return MonthlyReportOut(
        month=month,
        timezone=str(timezone),
        start=start,
        end=end,
        as_of=as_of,
        total=total,
        by_street=rows(GroupBy.GRID, 1),
        by_community=rows(GroupBy.GRID, 2),
        by_department=rows(GroupBy.DEPARTMENT),
        by_camera=rows(GroupBy.CAMERA),
        by_category=rows(GroupBy.CATEGORY),
        supervisions=repo.supervision_counts(session, start, end, scope),
    )
