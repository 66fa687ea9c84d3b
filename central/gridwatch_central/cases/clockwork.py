"""Deadlines of a case: which limit a state runs on, and where a case is handled.

Every deadline is computed on the server clock from the route's ``StepLimits``; the yellow
time (预警) is ``warn_fraction`` of the way to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from gridwatch_central.cases.states import CaseState
from gridwatch_central.db.tables import CaseRow
from gridwatch_central.routing import StepLimits, district_code

S = CaseState


def step_limit_h(state: CaseState, limits: StepLimits) -> float | None:
    """Hours the step that starts in ``state`` may take; None where no clock runs."""
    return {
        S.REGISTERED: limits.dispatch_h,
        S.RETURNED: limits.dispatch_h,
        S.DISPATCHED: limits.accept_h,
        S.IN_PROGRESS: limits.handle_h,
        S.REWORK: limits.handle_h,
        S.FEEDBACK: limits.check_h,
    }.get(state)


def warn_time(start: datetime, due: datetime, warn_fraction: float) -> datetime:
    return start + (due - start) * warn_fraction


def start_step(
    case: CaseRow, state: CaseState, now: datetime, limits: StepLimits, warn_fraction: float
) -> None:
    """Set the step deadline of ``state`` on the case row (cleared for a state without one)."""
    hours = step_limit_h(state, limits)
    if hours is None:
        case.step_due_at = None
        case.step_warn_at = None
        return
    case.step_due_at = now + timedelta(hours=hours)
    case.step_warn_at = warn_time(now, case.step_due_at, warn_fraction)


def grid_at_level(case: CaseRow, level: int) -> str | None:
    """The grid code a case is handled in at ``level`` (0 = the district of its grids)."""
    codes = {1: case.grid_l1_code, 2: case.grid_l2_code, 3: case.grid_l3_code}
    if level > 0:
        return codes[level]
    known = next((code for code in codes.values() if code), None)
    return district_code(known) if known else None
