"""Incidents, case timelines, extensions and supervision as the API shows them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.case_schemas import (
    CaseActionOut,
    CaseTimelineEntryOut,
    ExtensionOut,
    IncidentDetailOut,
    IncidentOut,
    IncidentPage,
    IncidentTimelineEntryOut,
    SupervisionOut,
    SupervisionPage,
)
from gridwatch_central.cases.states import CaseState, allowed_actions
from gridwatch_central.db import case_repository as cases
from gridwatch_central.db import incident_repository as incidents
from gridwatch_central.db.case_repository import SupervisionFilter
from gridwatch_central.db.incident_repository import IncidentFilter
from gridwatch_central.db.tables import CaseRow, IncidentRow, TimelineRow
from gridwatch_central.schemas import CaseOut, GeoPointOut
from gridwatch_central.services.alerts import alerts_out


def to_incident_out(session: Session, row: IncidentRow) -> IncidentOut:
    case = incidents.case_of_incident(session, row.id)
    location = (
        GeoPointOut(lat=row.lat, lon=row.lon)
        if row.lat is not None and row.lon is not None
        else None
    )
    snapshot = f"/api/v1/alerts/{row.best_alert_id}/snapshot" if row.best_snapshot_sha256 else None
    fields = {name: getattr(row, name) for name in IncidentOut.model_fields if hasattr(row, name)}
    return IncidentOut(
        **fields,
        location=location,
        best_snapshot_url=snapshot,
        case_id=case.id if case is not None else None,
    )


def list_incidents(
    session: Session, where: IncidentFilter, scope: Scope | None, limit: int, offset: int
) -> IncidentPage:
    page = incidents.list_incidents(session, where, scope, limit, offset)
    items = [to_incident_out(session, row) for row in page.items]
    return IncidentPage(items=items, total=page.total, limit=limit, offset=offset)


def get_incident(
    session: Session, incident_id: int, scope: Scope | None
) -> IncidentDetailOut | None:
    row = incidents.get_incident(session, incident_id, scope)
    if row is None:
        return None
    summary = to_incident_out(session, row).model_dump()
    timeline = incidents.incident_timeline(session, incident_id)
    return IncidentDetailOut(
        **summary,
        timeline=[IncidentTimelineEntryOut.model_validate(entry) for entry in timeline],
        alerts=alerts_out(session, incidents.alerts_of_incident(session, row.id)),
    )


def action_out(case: CaseRow, entry: TimelineRow) -> CaseActionOut:
    return CaseActionOut(
        case=CaseOut.model_validate(case),
        allowed_actions=[action.value for action in allowed_actions(CaseState(case.state))],
        entry=CaseTimelineEntryOut.model_validate(entry),
    )


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
