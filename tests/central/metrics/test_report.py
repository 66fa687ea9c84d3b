"""Periods of the monthly report and the metrics endpoints' refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gridwatch_central.metrics.report import BadPeriodError, month_bounds
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client
from tests.central.case_loop_helpers import ManualClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_month_bounds_are_local_and_roll_over_the_year() -> None:
    start, end = month_bounds("2026-12", SHANGHAI)
    assert (start, end) == (
        datetime(2026, 12, 1, tzinfo=SHANGHAI),
        datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )
    with pytest.raises(BadPeriodError):
        month_bounds("2026-13", SHANGHAI)


def test_empty_and_bad_periods(loop_runtime: CentralRuntime) -> None:
    client = admin_client(loop_runtime)
    # Not YYYY-MM: refused by the path's pattern, which the OpenAPI publishes.
    assert client.get("/api/v1/reports/monthly/November").status_code == 422
    empty = client.get("/api/v1/reports/monthly/2026-11").json()
    assert (empty["total"]["cases_due"], empty["total"]["closure_rate"]) == (0, None)
    assert empty["supervisions"] == {"yellow": 0, "red": 0}
    period = {"start": "2026-11-02T00:00:00+08:00", "end": "2026-11-01T00:00:00+08:00"}
    assert client.get("/api/v1/metrics", params=period).status_code == 400
    naive = {"start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00"}
    assert client.get("/api/v1/metrics", params=naive).status_code == 422


def test_metrics_without_a_period_cover_the_current_local_month(
    loop_runtime: CentralRuntime, clock: ManualClock
) -> None:
    # 00:30 on 1 December in Shanghai is still 30 November in UTC: the local month counts.
    clock.now = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
    client = admin_client(loop_runtime)

    result = client.get("/api/v1/metrics").json()
    assert (result["period"], result["month"], result["timezone"]) == (
        "current_month",
        "2026-12",
        "Asia/Shanghai",
    )
    assert datetime.fromisoformat(result["start"]) == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert datetime.fromisoformat(result["end"]) == datetime(2027, 1, 1, tzinfo=SHANGHAI)

    csv = client.get("/api/v1/metrics.csv")
    assert csv.status_code == 200, csv.text
    assert csv.headers["X-Period"] == "current_month"
    assert datetime.fromisoformat(csv.headers["X-Period-Start"]) == datetime(
        2026, 12, 1, tzinfo=SHANGHAI
    )
    assert 'filename="metrics-2026-12.csv"' in csv.headers["Content-Disposition"]

    report = client.get("/api/v1/reports/monthly").json()
    assert (report["month"], report["timezone"]) == ("2026-12", "Asia/Shanghai")


def test_a_requested_period_is_reported_as_requested(loop_runtime: CentralRuntime) -> None:
    client = admin_client(loop_runtime)
    period = {"start": "2026-11-01T00:00:00+08:00", "end": "2026-11-08T00:00:00+08:00"}
    result = client.get("/api/v1/metrics", params=period).json()
    assert (result["period"], result["month"]) == ("requested", None)
    assert datetime.fromisoformat(result["start"]) == datetime(2026, 11, 1, tzinfo=SHANGHAI)
    # One bound alone is refused: which month it should mean is anybody's guess.
    half = client.get("/api/v1/metrics", params={"start": period["start"]})
    assert half.status_code == 400
    assert "both" in half.json()["detail"]
