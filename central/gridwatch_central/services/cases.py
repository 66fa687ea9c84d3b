"""Cases as the API (and the console) shows them, with what the caller may do to each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cases.actor import Actor
from gridwatch_central.cases.service import permitted_actions
from gridwatch_central.db import case_repository, repository
from gridwatch_central.db.case_repository import CaseListFilter
from gridwatch_central.db.tables import CaseRow
from gridwatch_central.schemas import CaseDetailOut, CaseOut, CasePage, TimelineEntryOut
from gridwatch_central.services.alerts import alerts_out

_ROW_FIELDS = [name for name in CaseOut.model_fields if name != "allowed_actions"]


def case_out(row: CaseRow, viewer: Actor | None) -> CaseOut:
    """The case with the actions ``viewer`` may take now (none without a viewer)."""
    allowed = [action.value for action in permitted_actions(row, viewer)] if viewer else []
    fields = {name: getattr(row, name) for name in _ROW_FIELDS}
    return CaseOut(**fields, allowed_actions=allowed)


def list_cases(
    session: Session,
    where: CaseListFilter,
    limit: int,
    offset: int,
    scope: Scope | None = None,
    *,
    viewer: Actor | None = None,
) -> CasePage:
    page = case_repository.list_cases(session, where, scope, limit, offset)
    items = [case_out(row, viewer) for row in page.items]
    return CasePage(items=items, total=page.total, limit=limit, offset=offset)


def get_case(
    session: Session, case_id: int, scope: Scope | None = None, *, viewer: Actor | None = None
) -> CaseDetailOut | None:
    if case_repository.get_case(session, case_id, scope) is None:
        return None
    row = repository.get_case(session, case_id)
    if row is None:  # pragma: no cover - seen just above in the same session
        return None
    summary = case_out(row, viewer).model_dump()
    return CaseDetailOut(
        **summary,
        timeline=[TimelineEntryOut.model_validate(entry) for entry in row.timeline],
        alerts=alerts_out(session, repository.alerts_of_case(session, case_id)),
    )
