"""Metric rows of the API in tests: the figures compared, the expected ones, a printable table."""

from __future__ import annotations

from typing import Any

import pytest

FIGURES = (
    "cases_due",
    "closed",
    "closed_on_time",
    "with_feedback",
    "reworked",
    "dispatched",
    "dispatched_accurately",
    "handled_on_time",
    "incidents_reviewed",
    "false_alarms",
    "closure_rate",
    "on_time_closure_rate",
    "rework_rate",
    "accurate_dispatch_rate",
    "on_time_handling_rate",
    "false_alarm_rate",
    "mean_seconds_to_verify",
    "mean_seconds_to_dispatch",
    "mean_seconds_to_close",
    "mean_score",
)
# The counts of a row: they add up from a level of the grid to the level above.
COUNTS = FIGURES[:10]


def table(rows: list[dict[str, Any]]) -> str:
    columns = [
        ("key", "key"),
        ("cases_due", "应结案"),
        ("closed", "结案"),
        ("closure_rate", "结案率"),
        ("on_time_closure_rate", "按期结案率"),
        ("rework_rate", "返工率"),
        ("accurate_dispatch_rate", "准确派遣率"),
        ("on_time_handling_rate", "按时处置率"),
        ("false_alarm_rate", "误报率"),
        ("mean_seconds_to_verify", "verify_s"),
        ("mean_seconds_to_dispatch", "dispatch_s"),
        ("mean_seconds_to_close", "close_s"),
    ]

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = [" | ".join(label for _, label in columns)]
    lines += [" | ".join(cell(row[name]) for name, _ in columns) for row in rows]
    return "\n".join(lines)


def rates(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in FIGURES}


def expect(**values: Any) -> dict[str, Any]:
    """Expected figures; rates as exact fractions compared with pytest.approx."""
    return {
        name: pytest.approx(value) if isinstance(value, float) else value
        for name, value in values.items()
    }


Rate = float | None


def row(
    counts: tuple[int, int, int, int, int, int, int, int, int, int],
    rate_values: tuple[Rate, Rate, Rate, Rate, Rate, Rate],
    means: tuple[Rate, Rate, Rate, Rate],
) -> dict[str, Any]:
    """Expected figures in ``FIGURES`` order: the 10 counts (应结案, 结案, 按期, 反馈, 返工,
    派遣, 准确派遣, 按时处置, 核实, 误报), the 6 rates (结案率, 按期结案率, 返工率, 准确派遣率,
    按时处置率, 误报率) and the means (verify s, dispatch s, close s, score)."""
    return expect(**dict(zip(FIGURES, (*counts, *rate_values, *means), strict=True)))


def roll_up(children: list[dict[str, Any]]) -> dict[str, int]:
    """The counts of a parent row: the sums of its children's."""
    return {name: sum(child[name] for child in children) for name in COUNTS}
