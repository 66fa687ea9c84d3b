"""Case-loop metrics, computed from timelines only (case timeline and incident timeline).

Each case's timeline is reduced to a ``CaseFacts``, each incident's to an ``IncidentFacts``;
``aggregate`` turns a group of them into the figures of one report row. The formulas:

- 应结案数 (cases due to close) = cases registered in the period, less those voided (作废).
- 结案率 = 结案数 / 应结案数, where 结案数 = those with a ``check_passed`` (核查结案) entry by
  ``as_of``.
- 按期结案率 = 按期结案数 / 应结案数; a case closes on time when its ``check_passed`` entry is no
  later than the case deadline recorded in that entry (approved 延期 and 挂账 pauses included).
- 返工率 = cases with at least one ``check_failed`` (返工) entry / cases that reached 反馈
  (a ``feedback`` entry) — the share of handled cases whose result failed the check.
- 准确派遣率 = dispatched cases never ``returned`` (回退) / dispatched cases.
- 按时处置率 = cases handled on time / cases with a ``feedback`` entry. Handled on time: every
  step of the department (DISPATCHED, IN_PROGRESS, REWORK) ended — by the next state change,
  not by a hold — no later than the step deadline in force, and no such step is still open
  past its deadline at ``as_of``.
- 误报率 = incidents rejected as false alarms (误报) / incidents reviewed (verified,
  auto-verified, rejected or marked duplicate) — a duplicate is a real problem seen twice.
- Mean time to verify = mean of (``verified`` − ``opened``) over verified incidents; to dispatch
  = mean of (first ``dispatched`` − ``registered``); to close = mean of (``check_passed`` −
  ``registered``), wall-clock seconds, holds included.
- Mean evaluation score (评价) = mean ``score`` of the ``evaluated`` entries.
A rate whose denominator is 0 is None (no data), never 0 or 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

HANDLING_STATES = frozenset({"DISPATCHED", "IN_PROGRESS", "REWORK"})
# Entries that end no step even when they name a state: pausing and resuming keep the step.
NON_ENDING = frozenset({"held", "resumed"})


class EntryLike(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str | None: ...
    @property
    def details(self) -> dict[str, Any] | None: ...


class IncidentEntryLike(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CaseFacts:
    voided: bool
    closed: bool
    closed_on_time: bool
    dispatched: bool
    returned: bool
    reached_feedback: bool
    reworked: bool
    handled_on_time: bool
    seconds_to_dispatch: float | None
    seconds_to_close: float | None
    score: int | None
    department: str | None


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    reviewed: bool
    false_alarm: bool
    seconds_to_verify: float | None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def case_facts(entries: Sequence[EntryLike], as_of: datetime) -> CaseFacts:
    """Reduce one case's timeline (in order) up to ``as_of`` to the facts the metrics count."""
    seen = [entry for entry in entries if entry.at <= as_of]
    registered = next((e.at for e in seen if e.action == "registered"), None)
    dispatched = next((e.at for e in seen if e.action == "dispatched"), None)
    closing = next((e for e in seen if e.action == "check_passed"), None)
    score = next(((e.details or {}).get("score") for e in seen if e.action == "evaluated"), None)
    department = next(
        ((e.details or {}).get("department") for e in reversed(seen) if e.details), None
    )
    closed_on_time = False
    if closing is not None:
        deadline = _time((closing.details or {}).get("due_at"))
        closed_on_time = deadline is not None and closing.at <= deadline
    return CaseFacts(
        voided=any(e.to_state == "VOIDED" for e in seen),
        closed=closing is not None,
        closed_on_time=closed_on_time,
        dispatched=dispatched is not None,
        returned=any(e.action == "returned" for e in seen),
        reached_feedback=any(e.action == "feedback" for e in seen),
        reworked=any(e.action == "check_failed" for e in seen),
        handled_on_time=_handled_on_time(seen, as_of),
        seconds_to_dispatch=_seconds(registered, dispatched),
        seconds_to_close=_seconds(registered, closing.at if closing else None),
        score=score if isinstance(score, int) else None,
        department=department if isinstance(department, str) else None,
    )


def _handled_on_time(entries: Sequence[EntryLike], as_of: datetime) -> bool:
    state: str | None = None
    step_due: datetime | None = None
    for entry in entries:
        ends_step = (
            entry.to_state is not None
            and entry.to_state != state
            and entry.action not in NON_ENDING
        )
        if ends_step and state in HANDLING_STATES and step_due is not None and entry.at > step_due:
            return False
        if entry.to_state is not None:
            state = entry.to_state
        step_due = _time((entry.details or {}).get("step_due_at"))
    still_open_late = state in HANDLING_STATES and step_due is not None and as_of > step_due
    return not still_open_late


def incident_facts(entries: Sequence[IncidentEntryLike], as_of: datetime) -> IncidentFacts:
    seen = [entry for entry in entries if entry.at <= as_of]
    opened = next((e.at for e in seen if e.action == "opened"), None)
    verified = next((e.at for e in seen if e.action == "verified"), None)
    decisions = {"verified", "rejected", "duplicate"}
    return IncidentFacts(
        reviewed=any(e.action in decisions for e in seen),
        false_alarm=any(e.action == "rejected" for e in seen),
        seconds_to_verify=_seconds(opened, verified),
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start is not None and end is not None else None


class Figures(BaseModel):
    """One report row's counts and the rates derived from them (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    cases_due: int = Field(description="应结案数")
    closed: int = Field(description="结案数")
    closed_on_time: int = Field(description="按期结案数")
    with_feedback: int = Field(description="Cases that reached 反馈")
    reworked: int = Field(description="返工 cases")
    dispatched: int
    dispatched_accurately: int = Field(description="Dispatched and never returned")
    handled_on_time: int
    incidents_reviewed: int
    false_alarms: int = Field(description="误报")
    closure_rate: float | None = Field(description="结案率")
    on_time_closure_rate: float | None = Field(description="按期结案率")
    rework_rate: float | None = Field(description="返工率")
    accurate_dispatch_rate: float | None = Field(description="准确派遣率")
    on_time_handling_rate: float | None = Field(description="按时处置率")
    false_alarm_rate: float | None = Field(description="误报率")
    mean_seconds_to_verify: float | None
    mean_seconds_to_dispatch: float | None
    mean_seconds_to_close: float | None
    mean_score: float | None = Field(description="Mean 评价 score, 1-5")


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _mean(values: Iterable[float | int | None]) -> float | None:
    present = [float(value) for value in values if value is not None]
    return fmean(present) if present else None


def aggregate(cases: Sequence[CaseFacts], incidents: Sequence[IncidentFacts]) -> Figures:
    live = [case for case in cases if not case.voided]
    closed = [case for case in live if case.closed]
    on_time = [case for case in closed if case.closed_on_time]
    handled = [case for case in live if case.reached_feedback]
    reworked = [case for case in handled if case.reworked]
    dispatched = [case for case in live if case.dispatched]
    accurate = [case for case in dispatched if not case.returned]
    handled_on_time = [case for case in handled if case.handled_on_time]
    reviewed = [incident for incident in incidents if incident.reviewed]
    false_alarms = [incident for incident in reviewed if incident.false_alarm]
    return Figures(
        cases_due=len(live),
        closed=len(closed),
        closed_on_time=len(on_time),
        with_feedback=len(handled),
        reworked=len(reworked),
        dispatched=len(dispatched),
        dispatched_accurately=len(accurate),
        handled_on_time=len(handled_on_time),
        incidents_reviewed=len(reviewed),
        false_alarms=len(false_alarms),
        closure_rate=_rate(len(closed), len(live)),
        on_time_closure_rate=_rate(len(on_time), len(live)),
        rework_rate=_rate(len(reworked), len(handled)),
        accurate_dispatch_rate=_rate(len(accurate), len(dispatched)),
        on_time_handling_rate=_rate(len(handled_on_time), len(handled)),
        false_alarm_rate=_rate(len(false_alarms), len(reviewed)),
        mean_seconds_to_verify=_mean(incident.seconds_to_verify for incident in incidents),
        mean_seconds_to_dispatch=_mean(case.seconds_to_dispatch for case in live),
        mean_seconds_to_close=_mean(case.seconds_to_close for case in live),
        mean_score=_mean(case.score for case in live),
    )
