"""SQL form of a ``Scope``: the WHERE clause that keeps a caller inside its grids/departments.

Every read of alerts and cases goes through these clauses, in the list and by id alike, so a
row outside the scope is invisible the same way a missing row is.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.tables import AlertRow, CaseRow


def _under(column: InstrumentedAttribute[str | None], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, in a form a plain b-tree index can serve.

    ``LIKE 'p%'`` alone uses no index under a non-C collation (PostgreSQL's default), so a
    scoped count would scan every alert. The range ``[p, p+1)`` is an index range scan; the
    LIKE keeps the match exact whatever the collation's ordering of letters.
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper, column.startswith(prefix, autoescape=True))


def _grid_clause(model: type[AlertRow] | type[CaseRow], scope: Scope) -> list[ColumnElement[bool]]:
    columns = (model.grid_l1_code, model.grid_l2_code, model.grid_l3_code)
    # Sorted for a stable statement text (statement caching, readable logs).
    return [_under(column, prefix) for prefix in sorted(scope.grid_prefixes) for column in columns]


def _case_department() -> InstrumentedAttribute[str | None] | None:
    # The department column arrives with the case workflow (migration 0003); until then a
    # department-only scope sees no cases (fail closed). Looked up, not imported, so this
    # module needs no change when the column lands.
    column = getattr(CaseRow, "department", None)
    return column if isinstance(column, InstrumentedAttribute) else None


def case_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.unrestricted:
        return true()
    clauses = _grid_clause(CaseRow, scope)
    department = _case_department()
    if department is not None and scope.departments:
        clauses.append(department.in_(sorted(scope.departments)))
    return or_(*clauses) if clauses else false()


def alert_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.unrestricted:
        return true()
    clauses = _grid_clause(AlertRow, scope)
    department = _case_department()
    if department is not None and scope.departments:
        # A department sees the alerts behind its cases.
        cases = select(CaseRow.id).where(department.in_(sorted(scope.departments)))
        clauses.append(AlertRow.case_id.in_(cases))
    return or_(*clauses) if clauses else false()
