"""Applying an action to a case: check the table, change the row, append to the timeline.

Every action locks the case row, is checked against ``TRANSITIONS`` (state, then role), and
writes exactly one timeline entry that carries the deadlines in force afterwards — the
metrics are computed from those entries alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cases.actor import Actor, Role
from gridwatch_central.cases.clockwork import grid_at_level, start_step
from gridwatch_central.cases.errors import (
    CaseLoopError,
    ForbiddenError,
    IllegalTransitionError,
    InvalidRequestError,
    NotFoundError,
)
from gridwatch_central.cases.opening import facts
from gridwatch_central.cases.states import (
    FINAL,
    RUNNING,
    TRANSITIONS,
    CaseAction,
    CaseState,
    allowed_actions,
)
from gridwatch_central.clock import Clock
from gridwatch_central.db import case_repository as cases
from gridwatch_central.db.tables import CaseRow, ExtensionRow, TimelineRow
from gridwatch_central.routing import Router, StepLimits
from gridwatch_central.routing.router import UnknownCategoryError

A = CaseAction
S = CaseState
REASON_REQUIRED = frozenset({A.RETURN, A.CHECK_FAIL, A.VOID, A.HOLD, A.REQUEST_EXTENSION})
EXTENSION_DECISIONS = frozenset({A.APPROVE_EXTENSION, A.REJECT_EXTENSION})


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """What an action may carry; each action uses its own part, checked in ``_check``."""

    note: str | None = None
    attachments: tuple[str, ...] = field(default_factory=tuple)
    department: str | None = None
    score: int | None = None
    hours: float | None = None
    extension_id: int | None = None


Handler = Callable[[Session, CaseRow, Actor, ActionRequest, datetime], None]


class CaseService:
    def __init__(self, router: Router, clock: Clock) -> None:
        self.router = router
        self.clock = clock
        self._handlers: dict[CaseAction, Handler] = {
            A.DISPATCH: self._dispatch,
            A.ACCEPT: self._simple(S.IN_PROGRESS),
            A.RETURN: self._return,
            A.FEEDBACK: self._feedback,
            A.CHECK_PASS: self._simple(S.CLOSED),
            A.CHECK_FAIL: self._check_fail,
            A.EVALUATE: self._evaluate,
            A.HOLD: self._hold,
            A.RESUME: self._resume,
            A.VOID: self._simple(S.VOIDED),
            A.ESCALATE: self._escalate_action,
            A.REQUEST_EXTENSION: self._request_extension,
            A.APPROVE_EXTENSION: self._approve_extension,
            A.REJECT_EXTENSION: self._reject_extension,
        }

    def act(
        self,
        session: Session,
        case_id: int,
        action: CaseAction,
        actor: Actor,
        *,
        request: ActionRequest | None = None,
        scope: Scope | None = None,
    ) -> CaseRow:
        """Apply ``action``; raises a ``CaseLoopError`` subclass when it is refused."""
        request = request or ActionRequest()
        case = cases.get_case(session, case_id, scope, lock=True)
        if case is None:
            raise NotFoundError(f"case {case_id} not found")
        refusal = refusal_of(case, action, actor)
        if refusal is not None:
            raise refusal
        _check(action, request)
        self._handlers[action](session, case, actor, request, self.clock())
        session.flush()
        return case

    # --- building blocks -------------------------------------------------------------------

    def limits(self, case: CaseRow) -> StepLimits:
        codes = [case.grid_l1_code, case.grid_l2_code, case.grid_l3_code]
        try:
            return self.router.route(case.category, codes).limits
        except UnknownCategoryError:  # a case from before routing existed
            return self.router.config.default_limits

    def _routed_department(self, case: CaseRow) -> str | None:
        codes = [case.grid_l1_code, case.grid_l2_code, case.grid_l3_code]
        try:
            return self.router.route(case.category, codes).department.code
        except UnknownCategoryError:  # a case from before routing existed
            return None

    def record(
        self,
        session: Session,
        case: CaseRow,
        actor: Actor,
        action: str,
        now: datetime,
        *,
        to_state: CaseState | None = None,
        request: ActionRequest | None = None,
        details: dict[str, Any] | None = None,
    ) -> TimelineRow:
        """Move the case to ``to_state`` (if given) and append the timeline entry."""
        from_state = case.state
        if to_state is not None:
            case.state = to_state.value
            if to_state in RUNNING:
                start_step(case, to_state, now, self.limits(case), self.router.config.warn_fraction)
            elif to_state in FINAL:  # no clock runs any more: no alarms either
                case.step_due_at = case.step_warn_at = case.due_warn_at = None
        request = request or ActionRequest()
        entry = cases.append_entry(
            session,
            {
                "case_id": case.id,
                "at": now,
                "action": action,
                "actor": actor.id,
                "actor_role": actor.role.value,
                "from_state": from_state,
                "to_state": to_state.value if to_state is not None else None,
                "note": request.note,
                "attachments": list(request.attachments) or None,
                "details": facts(case) | (details or {}),
            },
        )
        if to_state in RUNNING:
            case.step_key = f"{to_state.value}@{entry.id}"
        return entry

    def escalate(
        self,
        session: Session,
        case: CaseRow,
        actor: Actor,
        now: datetime,
        note: str,
        *,
        to_head: bool,
    ) -> str | None:
        """上报: to the department head, or one level up the grid ladder; who now has it."""
        department = self.router.department(case.department or "")
        if to_head and department is not None:
            case.assignee = department.head
            target = f"head of {department.code}"
        else:
            case.handling_level = max(0, case.handling_level - 1)
            grid = grid_at_level(case, case.handling_level)
            case.assignee = self.router.staff_of(grid) or case.assignee
            target = f"level {case.handling_level} grid {grid}"
        self.record(
            session,
            case,
            actor,
            "escalated",
            now,
            request=ActionRequest(note=f"{note}; escalated to {target}"),
            details={"escalated_to": case.assignee},
        )
        return case.assignee

    def _simple(self, target: CaseState) -> Handler:
        def handler(
            session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
        ) -> None:
            action = {S.IN_PROGRESS: "accepted", S.CLOSED: "check_passed", S.VOIDED: "voided"}
            self.record(session, case, actor, action[target], now, to_state=target, request=request)

        return handler

    # --- actions ---------------------------------------------------------------------------

    def _dispatch(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        code = request.department or case.department
        if code is None:
            raise InvalidRequestError("no default department after a return: name 'department'")
        department = self.router.department(code)
        if department is None:
            raise InvalidRequestError(f"unknown department {code!r}")
        case.department = department.code
        case.assignee = (department.handlers or [department.head])[0]
        self.record(session, case, actor, "dispatched", now, to_state=S.DISPATCHED, request=request)

    def _return(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        returned_by = case.department
        # Back to dispatch: the routed department is the default again, unless it is the one
        # that just refused — then the dispatcher has to name one.
        routed = self._routed_department(case)
        case.department = routed if routed != returned_by else None
        case.assignee = self.router.staff_of(grid_at_level(case, case.handling_level))
        details = {"returned_by": returned_by}
        self.record(
            session,
            case,
            actor,
            "returned",
            now,
            to_state=S.RETURNED,
            request=request,
            details=details,
        )

    def _feedback(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        # The grid's own staff checks the result on site (核查).
        case.assignee = self.router.staff_of(grid_at_level(case, case.handling_level))
        self.record(session, case, actor, "feedback", now, to_state=S.FEEDBACK, request=request)

    def _check_fail(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        department = self.router.department(case.department or "")
        if department is not None:
            case.assignee = (department.handlers or [department.head])[0]
        self.record(session, case, actor, "check_failed", now, to_state=S.REWORK, request=request)

    def _evaluate(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        details = {"score": request.score}
        self.record(
            session,
            case,
            actor,
            "evaluated",
            now,
            to_state=S.EVALUATED,
            request=request,
            details=details,
        )

    def _hold(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        case.held_state = case.state
        case.held_at = now
        # The deadlines stay as they are; resume shifts them by the time spent on hold.
        self.record(session, case, actor, "held", now, to_state=S.ON_HOLD, request=request)

    def _resume(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        if case.held_state is None or case.held_at is None:  # pragma: no cover - set by hold
            raise RuntimeError(f"case {case.id} is on hold without a held state")
        paused = now - case.held_at
        _shift_deadlines(case, paused)
        from_state, target = case.state, CaseState(case.held_state)
        case.state, case.held_state, case.held_at = target.value, None, None
        details = {"paused_s": paused.total_seconds()}
        # Not ``record(to_state=...)``: the step continues with its shifted deadline.
        entry = self.record(session, case, actor, "resumed", now, request=request, details=details)
        entry.from_state, entry.to_state = from_state, target.value

    def _escalate_action(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        note = request.note or "上报: the current level cannot solve it"
        self.escalate(session, case, actor, now, note, to_head=False)

    def _request_extension(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        extension = cases.insert_extension(
            session,
            {
                "case_id": case.id,
                "hours": request.hours,
                "reason": request.note,
                "status": "PENDING",
                "requested_by": actor.id,
                "requested_at": now,
            },
        )
        details = {"extension_id": extension.id, "hours": request.hours}
        self.record(
            session, case, actor, "extension_requested", now, request=request, details=details
        )

    def _pending_extension(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> ExtensionRow:
        extension = cases.get_extension(session, case.id, request.extension_id or 0)
        if extension is None:
            raise NotFoundError(f"extension {request.extension_id} of case {case.id} not found")
        if extension.status != "PENDING":
            raise IllegalTransitionError(
                f"extension {extension.id}", "decide", extension.status, []
            )
        extension.decided_by, extension.decided_at = actor.id, now
        return extension

    def _approve_extension(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        extension = self._pending_extension(session, case, actor, request, now)
        extension.status = "APPROVED"
        # 延期 moves the case deadline and the running step's, with their yellow times.
        _shift_deadlines(case, timedelta(hours=extension.hours))
        case.due_revision += 1
        details = {"extension_id": extension.id, "hours": extension.hours}
        entry = self.record(
            session, case, actor, "extension_approved", now, request=request, details=details
        )
        case.step_key = f"{case.state}@{entry.id}"

    def _reject_extension(
        self, session: Session, case: CaseRow, actor: Actor, request: ActionRequest, now: datetime
    ) -> None:
        extension = self._pending_extension(session, case, actor, request, now)
        extension.status = "REJECTED"
        details = {"extension_id": extension.id, "hours": extension.hours}
        self.record(
            session, case, actor, "extension_rejected", now, request=request, details=details
        )


def refusal_of(case: CaseRow, action: CaseAction, actor: Actor) -> CaseLoopError | None:
    """Why ``actor`` may not take ``action`` on ``case`` now (state, role, department), or None.

    The one check behind both ``act`` and ``permitted_actions``, so that what a client is
    offered is exactly what it would be allowed to do.
    """
    state = CaseState(case.state)
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        allowed = [a.value for a in allowed_actions(state)]
        return IllegalTransitionError(f"case {case.case_number}", action.value, state, allowed)
    if actor.role not in transition.roles:
        roles = ", ".join(sorted(role.value for role in transition.roles))
        return ForbiddenError(f"role {actor.role.value} may not {action.value}; needs {roles}")
    if actor.role is Role.HANDLER and actor.department not in (None, case.department):
        return ForbiddenError(f"case {case.case_number} is not for department {actor.department}")
    return None


def permitted_actions(case: CaseRow, actor: Actor) -> list[CaseAction]:
    """The actions ``actor`` may take on ``case`` in its current state (``allowed_actions``)."""
    return [
        action
        for action in allowed_actions(CaseState(case.state))
        if refusal_of(case, action, actor) is None
    ]


def _shift_deadlines(case: CaseRow, by: timedelta) -> None:
    case.due_at = case.due_at + by
    if case.due_warn_at is not None:
        case.due_warn_at = case.due_warn_at + by
    if case.step_due_at is not None:
        case.step_due_at = case.step_due_at + by
    if case.step_warn_at is not None:
        case.step_warn_at = case.step_warn_at + by


def _check(action: CaseAction, request: ActionRequest) -> None:
    if action in REASON_REQUIRED and not (request.note or "").strip():
        raise InvalidRequestError(f"'{action.value}' needs a reason in 'note'")
    if action is A.EVALUATE and (request.score is None or not 1 <= request.score <= 5):
        raise InvalidRequestError("'evaluate' needs a score from 1 to 5")
    if action is A.REQUEST_EXTENSION and (request.hours is None or request.hours <= 0):
        raise InvalidRequestError("'request_extension' needs a positive number of hours")
    if action in EXTENSION_DECISIONS and request.extension_id is None:
        raise InvalidRequestError(f"'{action.value}' needs an extension_id")
