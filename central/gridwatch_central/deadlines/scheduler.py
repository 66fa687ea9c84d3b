"""Raising deadline alarms: yellow at ``warn_fraction`` of a limit, red (督办) at 100 %.

All state lives in the database: the deadlines on the case rows and the alarms in
``supervisions``, whose unique key (case, step instance, level) makes raising an alarm
idempotent. A restarted process simply catches up on its first tick; two processes on one
database never raise (or escalate) the same alarm twice — PostgreSQL's ``SKIP LOCKED`` keeps
them off each other's cases, and the unique key decides any race on either database.

A red step alarm escalates to the department head while the department has the case
(dispatched, in progress, rework) and one grid level up otherwise; a red case alarm always
goes one grid level up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.cases.actor import SYSTEM_ACTOR
from gridwatch_central.cases.service import ActionRequest, CaseService
from gridwatch_central.cases.states import HANDLING, RUNNING, CaseState
from gridwatch_central.clock import Clock
from gridwatch_central.db import case_repository as cases
from gridwatch_central.db.tables import CaseRow
from gridwatch_central.periodic import PeriodicTask

log = logging.getLogger(__name__)

# SQLite lets one writer in at a time; a tick that lost the race simply runs again.
SQLITE_LOCK_RETRIES = 5
CASE_STEP = "CASE"


@dataclass(frozen=True, slots=True)
class Alarm:
    case_id: int
    step: str
    level: str
    deadline_at: datetime
    escalated_to: str | None


class DeadlineScheduler:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        case_service: CaseService,
        clock: Clock,
        *,
        interval_s: float,
    ) -> None:
        self._sessions = sessions
        self._cases = case_service
        self._clock = clock
        self._task = PeriodicTask("deadline-scheduler", interval_s, self._tick_logged)

    def tick(self) -> list[Alarm]:
        """One pass over every running case whose yellow time has come; the alarms raised."""
        for attempt in range(SQLITE_LOCK_RETRIES):
            try:
                with self._sessions.begin() as session:
                    return self._pass(session, self._clock())
            except OperationalError as error:
                if "locked" not in str(error) or attempt == SQLITE_LOCK_RETRIES - 1:
                    raise
                log.info("deadline tick lost a SQLite lock race, retrying")
        return []  # pragma: no cover - the loop returns or raises

    def start(self) -> None:
        self._task.start()

    def stop(self) -> None:
        self._task.stop()

    def _tick_logged(self) -> None:
        raised = self.tick()
        if raised:
            log.info("deadline scheduler raised %d alarm(s)", len(raised))

    def _pass(self, session: Session, now: datetime) -> list[Alarm]:
        raised: list[Alarm] = []
        running = [state.value for state in RUNNING]
        for case in cases.cases_needing_alarms(session, running, now):
            raised += self._step_alarms(session, case, now)
            raised += self._case_alarms(session, case, now)
        return raised

    def _step_alarms(self, session: Session, case: CaseRow, now: datetime) -> list[Alarm]:
        if case.step_due_at is None or case.step_warn_at is None or case.step_key is None:
            return []
        raised: list[Alarm] = []
        if case.step_warn_at <= now and self._claim(session, case, case.step_key, "yellow", now):
            raised.append(self._warn(session, case, case.state, case.step_due_at, now))
        if case.step_due_at <= now and self._claim(session, case, case.step_key, "red", now):
            to_head = CaseState(case.state) in HANDLING
            raised.append(
                self._supervise(session, case, case.state, case.step_key, now, to_head=to_head)
            )
        return raised

    def _case_alarms(self, session: Session, case: CaseRow, now: datetime) -> list[Alarm]:
        if case.due_warn_at is None:
            return []
        key = f"{CASE_STEP}#r{case.due_revision}"
        raised: list[Alarm] = []
        if case.due_warn_at <= now and self._claim(session, case, key, "yellow", now):
            raised.append(self._warn(session, case, CASE_STEP, case.due_at, now))
        if case.due_at <= now and self._claim(session, case, key, "red", now):
            raised.append(self._supervise(session, case, CASE_STEP, key, now, to_head=False))
        return raised

    def _claim(self, session: Session, case: CaseRow, key: str, level: str, now: datetime) -> bool:
        step = CASE_STEP if key.startswith(CASE_STEP) else case.state
        deadline = case.due_at if step == CASE_STEP else case.step_due_at
        label = "预警: 80 % of the time limit used" if level == "yellow" else "督办: overdue"
        return cases.insert_supervision(
            session,
            {
                "case_id": case.id,
                "step_key": key,
                "step": step,
                "level": level,
                "deadline_at": deadline,
                "raised_at": now,
                "escalated_to": None,
                "note": f"{label} ({step}, deadline {deadline:%Y-%m-%d %H:%M} UTC)",
            },
        )

    def _warn(
        self, session: Session, case: CaseRow, step: str, deadline: datetime, now: datetime
    ) -> Alarm:
        note = f"预警: {step} deadline {deadline.isoformat()} is near"
        details = {"alarm": "yellow", "step": step}
        self._cases.record(
            session,
            case,
            SYSTEM_ACTOR,
            "warned",
            now,
            request=ActionRequest(note=note),
            details=details,
        )
        return Alarm(case.id, step, "yellow", deadline, None)

    def _supervise(
        self, session: Session, case: CaseRow, step: str, key: str, now: datetime, *, to_head: bool
    ) -> Alarm:
        deadline = case.due_at if step == CASE_STEP else case.step_due_at
        assert deadline is not None  # checked by the callers
        note = f"督办: {step} overdue since {deadline.isoformat()}"
        details = {"alarm": "red", "step": step}
        self._cases.record(
            session,
            case,
            SYSTEM_ACTOR,
            "supervised",
            now,
            request=ActionRequest(note=note),
            details=details,
        )
        target = self._cases.escalate(session, case, SYSTEM_ACTOR, now, note, to_head=to_head)
        cases.set_supervision_target(session, case.id, key, "red", target)
        return Alarm(case.id, step, "red", deadline, target)
