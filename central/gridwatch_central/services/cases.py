"""Cases as the API shows them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db import repository
from gridwatch_central.db.repository import CaseFilter
from gridwatch_central.schemas import CaseDetailOut, CaseOut, CasePage, TimelineEntryOut
from gridwatch_central.services.alerts import to_alert_out


def list_cases(
    session: Session, scope: Scope, where: CaseFilter, limit: int, offset: int
) -> CasePage:
    page = repository.list_cases(session, scope, where, limit, offset)
    items = [CaseOut.model_validate(row) for row in page.items]
    return CasePage(items=items, total=page.total, limit=limit, offset=offset)


def get_case(session: Session, scope: Scope, case_id: int) -> CaseDetailOut | None:
    row = repository.get_case(session, scope, case_id)
    if row is None:
        return None
    summary = CaseOut.model_validate(row).model_dump()
    return CaseDetailOut(
        **summary,
        timeline=[TimelineEntryOut.model_validate(entry) for entry in row.timeline],
        alerts=[to_alert_out(alert) for alert in repository.alerts_of_case(session, case_id)],
    )
