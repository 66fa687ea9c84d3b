"""Incidents, case timelines, extensions and supervision as the API shows them."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.scope import Scope
from gridwatch_central.case_schemas import (
    CaseActionOut,
    CaseTimelineEntryOut,
    ExtensionOut,
    IncidentDetailOut,
    IncidentOut,
    IncidentPage,
    IncidentTimelineEntryOut,
    ReviewOut,
    SupervisionOut,
    SupervisionPage,
)
from gridwatch_central.cases.actor import Actor
from gridwatch_central.cases.service import ActionRequest, CaseService
from gridwatch_central.cases.states import CaseAction, CaseState, allowed_actions
from gridwatch_central.db import case_repository as cases
from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db.case_repository import SupervisionFilter
from gridwatch_central.db.incident_repository import IncidentFilter
from gridwatch_central.db.tables import CaseRow, IncidentRow, TimelineRow
from gridwatch_central.review.service import ReviewService, permitted_review_actions
from gridwatch_central.schemas import GeoPointOut
from gridwatch_central.services.alerts import alerts_out
from gridwatch_central.services.cases import case_out


class _Unknown:
    """Marks "the case was not looked up yet" apart from "there is no case" (None)."""


UNKNOWN = _Unknown()
# The response fields an incident row holds as they are (the others are derived below).
_INCIDENT_COLUMNS = [name for name in IncidentOut.model_fields if hasattr(IncidentRow, name)]


class CaseLoop(Protocol):
    """What applying a case action or a review needs; ``CentralRuntime`` provides it."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def case_service(self) -> CaseService: ...

    @property
    def review(self) -> ReviewService: ...


def to_incident_out(
    session: Session,
    row: IncidentRow,
    viewer: Actor | None = None,
    *,
    case: CaseRow | _Unknown | None = UNKNOWN,
) -> IncidentOut:
    """The incident with the review actions ``viewer`` may take (none without a viewer)."""
    if isinstance(case, _Unknown):
        case = incidents.case_of_incident(session, row.id)
    location = (
        GeoPointOut(lat=row.lat, lon=row.lon)
        if row.lat is not None and row.lon is not None
        else None
    )
    snapshot = f"/api/v1/alerts/{row.best_alert_id}/snapshot" if row.best_snapshot_sha256 else None
    fields = {name: getattr(row, name) for name in _INCIDENT_COLUMNS}
    return IncidentOut(
        **fields,
        location=location,
        best_snapshot_url=snapshot,
        case_id=case.id if case is not None else None,
        allowed_actions=permitted_review_actions(row, viewer) if viewer else [],
    )


def list_incidents(
    session: Session,
    where: IncidentFilter,
    scope: Scope | None,
    limit: int,
    offset: int,
    *,
    viewer: Actor | None = None,
) -> IncidentPage:
    page = incidents.list_incidents(session, where, scope, limit, offset)
    # One query for the cases of the whole page: the console's queue lists hundreds.
    cases_by_incident = incidents.cases_of_incidents(session, [row.id for row in page.items])
    items = [
        to_incident_out(session, row, viewer, case=cases_by_incident.get(row.id))
        for row in page.items
    ]
    return IncidentPage(items=items, total=page.total, limit=limit, offset=offset)


def get_incident(
    session: Session, incident_id: int, scope: Scope | None, *, viewer: Actor | None = None
) -> IncidentDetailOut | None:
    row = incidents.get_incident(session, incident_id, scope)
    if row is None:
        return None
    summary = to_incident_out(session, row, viewer).model_dump()
    timeline = incidents.incident_timeline(session, incident_id)
    return IncidentDetailOut(
        **summary,
        timeline=[IncidentTimelineEntryOut.model_validate(entry) for entry in timeline],
        alerts=alerts_out(session, incidents.alerts_of_incident(session, row.id)),
    )


def action_out(case: CaseRow, entry: TimelineRow, viewer: Actor) -> CaseActionOut:
    return CaseActionOut(
        case=case_out(case, viewer),
        allowed_actions=[action.value for action in allowed_actions(CaseState(case.state))],
        entry=CaseTimelineEntryOut.model_validate(entry),
    )


def act(
    loop: CaseLoop,
    actor: Actor,
    scope: Scope | None,
    case_id: int,
    action: CaseAction,
    *,
    request: ActionRequest,
) -> CaseActionOut:
    """Apply one case action in its own transaction (API and console alike)."""
    with loop.sessions.begin() as session:
        case = loop.case_service.act(session, case_id, action, actor, request=request, scope=scope)
        return action_out(case, last_entry(session, case.id), actor)


def verify(
    loop: CaseLoop, actor: Actor, scope: Scope | None, incident_id: int, note: str | None
) -> ReviewOut:
    """核实立案: the incident is real; its case opens (REGISTERED), routed and on the clock."""
    with loop.sessions.begin() as session:
        incident, case = loop.review.verify(session, incident_id, actor, note=note, scope=scope)
        return ReviewOut(
            incident=to_incident_out(session, incident, actor), case=case_out(case, actor)
        )


def reject(
    loop: CaseLoop, actor: Actor, scope: Scope | None, incident_id: int, reason: str
) -> ReviewOut:
    """误报: a false alarm; counts against the camera, rule, model and category."""
    with loop.sessions.begin() as session:
        incident = loop.review.reject(session, incident_id, actor, reason=reason, scope=scope)
        return ReviewOut(incident=to_incident_out(session, incident, actor), case=None)


def mark_duplicate(
    loop: CaseLoop,
    actor: Actor,
    scope: Scope | None,
    incident_id: int,
    *,
    duplicate_of: int,
    note: str | None,
) -> ReviewOut:
    """The same problem as ``duplicate_of``; later alerts of its events go there."""
    with loop.sessions.begin() as session:
        incident = loop.review.mark_duplicate(
            session, incident_id, actor, duplicate_of=duplicate_of, note=note, scope=scope
        )
        return ReviewOut(incident=to_incident_out(session, incident, actor), case=None)


def last_entry(session: Session, case_id: int) -> TimelineRow:
    return cases.timeline(session, case_id)[-1]


def timeline(
    session: Session, case_id: int, scope: Scope | None
) -> list[CaseTimelineEntryOut] | None:
    if cases.get_case(session, case_id, scope) is None:
        return None
    return [CaseTimelineEntryOut.model_validate(row) for row in cases.timeline(session, case_id)]


def extensions(session: Session, case_id: int, scope: Scope | None) -> list[ExtensionOut] | None:
    if cases.get_case(session, case_id, scope) is None:
        return None
    return [ExtensionOut.model_validate(row) for row in cases.extensions_of(session, case_id)]


def supervisions(
    session: Session, where: SupervisionFilter, scope: Scope | None, limit: int, offset: int
) -> SupervisionPage:
    page = cases.list_supervisions(session, where, scope, limit, offset)
    items = [SupervisionOut.model_validate(row) for row in page.items]
    return SupervisionPage(items=items, total=page.total, limit=limit, offset=offset)
