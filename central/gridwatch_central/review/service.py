"""核实: an operator (or an auto-verify rule) decides what an incident is.

Only a PENDING incident can be reviewed. Verifying opens its case (立案); rejecting needs a
reason and counts as a false alarm (误报) against the camera, rule, model and category of the
incident's first alert; a duplicate hands its edge events to the incident it duplicates.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cases.actor import SYSTEM_ACTOR, Actor, Role
from gridwatch_central.cases.errors import (
    ForbiddenError,
    IllegalTransitionError,
    InvalidRequestError,
    NotFoundError,
)
from gridwatch_central.cases.opening import open_case
from gridwatch_central.clock import Clock
from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db.tables import CaseRow, IncidentRow
from gridwatch_central.incidents import IncidentStatus
from gridwatch_central.routing import Router

REVIEWERS = frozenset({Role.OPERATOR, Role.ADMIN, Role.SYSTEM})
# What a reviewer may do to a PENDING incident (the API's and the console's names).
REVIEW_ACTIONS = ("verify", "reject", "duplicate")


def permitted_review_actions(incident: IncidentRow, actor: Actor) -> list[str]:
    """``allowed_actions`` of an incident for ``actor``: the checks of ``_pending``."""
    if incident.status != IncidentStatus.PENDING or actor.role not in REVIEWERS:
        return []
    return list(REVIEW_ACTIONS)


class ReviewService:
    def __init__(self, router: Router, clock: Clock, timezone: ZoneInfo) -> None:
        self._router = router
        self._clock = clock
        self._timezone = timezone

    def verify(
        self,
        session: Session,
        incident_id: int,
        actor: Actor,
        *,
        note: str | None = None,
        scope: Scope | None = None,
    ) -> tuple[IncidentRow, CaseRow]:
        incident = self._pending(session, incident_id, actor, "verify", scope)
        return incident, self._verify(session, incident, actor, note, auto=False)

    def auto_verify(self, session: Session, incident: IncidentRow) -> CaseRow | None:
        """Verify a PENDING incident whose best alert meets an auto-verify rule; else None."""
        if incident.status != IncidentStatus.PENDING:
            return None
        if not self._router.auto_verifies(incident.category, incident.best_confidence):
            return None
        note = f"auto-verified: confidence {incident.best_confidence:.2f} meets the rule"
        return self._verify(session, incident, SYSTEM_ACTOR, note, auto=True)

    def reject(
        self,
        session: Session,
        incident_id: int,
        actor: Actor,
        *,
        reason: str,
        scope: Scope | None = None,
    ) -> IncidentRow:
        if not reason.strip():
            raise InvalidRequestError("rejecting as a false alarm (误报) needs a reason")
        incident = self._pending(session, incident_id, actor, "reject", scope)
        incident.status = IncidentStatus.FALSE_ALARM.value
        incident.review_reason = reason
        self._log(session, incident, actor, "rejected", note=reason)
        return incident

    def mark_duplicate(
        self,
        session: Session,
        incident_id: int,
        actor: Actor,
        *,
        duplicate_of: int,
        note: str | None = None,
        scope: Scope | None = None,
    ) -> IncidentRow:
        if duplicate_of == incident_id:
            raise InvalidRequestError("an incident cannot duplicate itself")
        incident = self._pending(session, incident_id, actor, "mark_duplicate", scope)
        original = incidents.get_incident(session, duplicate_of, scope)
        if original is None:
            raise InvalidRequestError(f"incident {duplicate_of} (duplicate_of) not found")
        if original.status not in (IncidentStatus.PENDING, IncidentStatus.VERIFIED):
            raise InvalidRequestError(
                f"incident {duplicate_of} is {original.status}; duplicates point at a real one"
            )
        incident.status = IncidentStatus.DUPLICATE.value
        incident.duplicate_of_id = original.id
        incident.review_reason = note
        # Later alerts of these events belong to the original problem.
        incidents.relink_events(session, incident.id, original.id)
        self._log(
            session, incident, actor, "duplicate", note=note, details={"duplicate_of": original.id}
        )
        return incident

    def _pending(
        self, session: Session, incident_id: int, actor: Actor, action: str, scope: Scope | None
    ) -> IncidentRow:
        incident = incidents.get_incident(session, incident_id, scope, lock=True)
        if incident is None:
            raise NotFoundError(f"incident {incident_id} not found")
        if actor.role not in REVIEWERS:
            raise ForbiddenError(f"role {actor.role.value} may not review incidents")
        if incident.status != IncidentStatus.PENDING:
            subject = f"incident {incident_id}"
            raise IllegalTransitionError(subject, action, incident.status, [])
        return incident

    def _verify(
        self, session: Session, incident: IncidentRow, actor: Actor, note: str | None, *, auto: bool
    ) -> CaseRow:
        incident.status = IncidentStatus.VERIFIED.value
        now = self._clock()
        self._log(session, incident, actor, "verified", note=note, details={"auto": auto}, at=now)
        return open_case(
            session, incident, actor=actor, now=now, router=self._router, timezone=self._timezone
        )

    def _log(
        self,
        session: Session,
        incident: IncidentRow,
        actor: Actor,
        action: str,
        *,
        note: str | None,
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        incidents.append_incident_timeline(
            session,
            {
                "incident_id": incident.id,
                "at": at or self._clock(),
                "action": action,
                "actor": actor.id,
                "actor_role": actor.role.value,
                "note": note,
                "details": details,
            },
        )
