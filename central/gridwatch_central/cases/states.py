"""The case state machine as one declarative table: (action, from states) → to state, roles.

REGISTERED 立案 → DISPATCHED 派遣 → IN_PROGRESS 处置 → FEEDBACK 反馈 → CLOSED 核查结案 →
EVALUATED 评价; RETURNED 回退 (wrong department, back to the dispatcher), REWORK 返工 (the
check failed), ON_HOLD 挂账 (clock paused; resume returns to the held state), VOIDED 作废.
Actions that change no state (escalate, extension requests) are in the table too, so that
who may do what in which state is stated in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridwatch_central.cases.actor import Role


class CaseState(StrEnum):
    REGISTERED = "REGISTERED"
    DISPATCHED = "DISPATCHED"
    IN_PROGRESS = "IN_PROGRESS"
    FEEDBACK = "FEEDBACK"
    CLOSED = "CLOSED"
    EVALUATED = "EVALUATED"
    RETURNED = "RETURNED"
    REWORK = "REWORK"
    ON_HOLD = "ON_HOLD"
    VOIDED = "VOIDED"


class CaseAction(StrEnum):
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    FEEDBACK = "feedback"
    CHECK_PASS = "check_pass"
    CHECK_FAIL = "check_fail"
    EVALUATE = "evaluate"
    HOLD = "hold"
    RESUME = "resume"
    VOID = "void"
    ESCALATE = "escalate"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"


S = CaseState
# States whose clock runs: the scheduler watches them.
RUNNING = frozenset({S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS, S.FEEDBACK, S.RETURNED, S.REWORK})
FINAL = frozenset({S.CLOSED, S.EVALUATED, S.VOIDED})
# The department's part of the loop: from dispatch until feedback.
HANDLING = frozenset({S.DISPATCHED, S.IN_PROGRESS, S.REWORK})
SUPERVISORS = frozenset({Role.DISPATCHER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Transition:
    action: CaseAction
    sources: frozenset[CaseState]
    # None: the state does not change (or, for resume, returns to the held state).
    target: CaseState | None
    roles: frozenset[Role]


def _t(
    action: CaseAction, sources: set[CaseState], target: CaseState | None, *roles: Role
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles) | {Role.ADMIN})


A = CaseAction
TRANSITIONS: dict[CaseAction, Transition] = {
    t.action: t
    for t in (
        _t(A.DISPATCH, {S.REGISTERED, S.RETURNED}, S.DISPATCHED, Role.DISPATCHER),
        _t(A.ACCEPT, {S.DISPATCHED}, S.IN_PROGRESS, Role.HANDLER),
        _t(A.RETURN, {S.DISPATCHED, S.IN_PROGRESS}, S.RETURNED, Role.HANDLER),
        _t(A.FEEDBACK, {S.IN_PROGRESS, S.REWORK}, S.FEEDBACK, Role.HANDLER),
        _t(A.CHECK_PASS, {S.FEEDBACK}, S.CLOSED, Role.OPERATOR),
        _t(A.CHECK_FAIL, {S.FEEDBACK}, S.REWORK, Role.OPERATOR),
        _t(A.EVALUATE, {S.CLOSED}, S.EVALUATED, Role.DISPATCHER, Role.OPERATOR),
        _t(A.HOLD, set(RUNNING), S.ON_HOLD, Role.DISPATCHER),
        _t(A.RESUME, {S.ON_HOLD}, None, Role.DISPATCHER),
        _t(A.VOID, {S.REGISTERED, S.RETURNED, S.DISPATCHED, S.ON_HOLD}, S.VOIDED, Role.DISPATCHER),
        _t(
            A.ESCALATE,
            set(RUNNING),
            None,
            Role.HANDLER,
            Role.OPERATOR,
            Role.DISPATCHER,
            Role.SYSTEM,
        ),
        _t(A.REQUEST_EXTENSION, set(HANDLING), None, Role.HANDLER),
        # Extensions are for the department's steps; a request outlived by them can still be
        # turned down (or, on hold, waits).
        _t(A.APPROVE_EXTENSION, set(HANDLING), None, Role.DISPATCHER),
        _t(A.REJECT_EXTENSION, set(HANDLING) | {S.FEEDBACK, S.ON_HOLD}, None, Role.DISPATCHER),
    )
}


def allowed_actions(state: CaseState) -> list[CaseAction]:
    """Every action the table admits in ``state``, whatever the role."""
    return [action for action, t in TRANSITIONS.items() if state in t.sources]
