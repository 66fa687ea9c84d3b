"""Periods of the monthly report and the metrics endpoints' refusals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridwatch_central.metrics.report import BadPeriodError, month_bounds
from gridwatch_central.runtime import CentralRuntime
from tests.central.api.clients import admin_client

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
    assert client.get("/api/v1/reports/monthly/November").status_code == 400
    empty = client.get("/api/v1/reports/monthly/2026-11").json()
    assert (empty["total"]["cases_due"], empty["total"]["closure_rate"]) == (0, None)
    assert empty["supervisions"] == {"yellow": 0, "red": 0}
    period = {"start": "2026-11-02T00:00:00+08:00", "end": "2026-11-01T00:00:00+08:00"}
    assert client.get("/api/v1/metrics", params=period).status_code == 400
    naive = {"start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00"}
    assert client.get("/api/v1/metrics", params=naive).status_code == 422
