"""Cases as the API shows them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import case_repository, repository
from gridwatch_central.db.case_repository import CaseListFilter
from gridwatch_central.schemas import CaseDetailOut, CaseOut, CasePage, TimelineEntryOut
from gridwatch_central.services.alerts import alerts_out


def list_cases(
    session: Session, where: CaseListFilter, limit: int, offset: int, scope: Scope | None = None
) -> CasePage:
    page = case_repository.list_cases(session, where, scope, limit, offset)
    items = [CaseOut.model_validate(row) for row in page.items]
    return CasePage(items=items, total=page.total, limit=limit, offset=offset)


def get_case(session: Session, case_id: int, scope: Scope | None = None) -> CaseDetailOut | None:
    if case_repository.get_case(session, case_id, scope) is None:
        return None
    row = repository.get_case(session, case_id)
    if row is None:  # pragma: no cover - seen just above in the same session
        return None
    summary = CaseOut.model_validate(row).model_dump()
    return CaseDetailOut(
        **summary,
        timeline=[TimelineEntryOut.model_validate(entry) for entry in row.timeline],
        alerts=alerts_out(session, repository.alerts_of_case(session, case_id)),
    )
