"""SQL form of a ``Scope`` (the WHERE clause that keeps a caller inside its grids/departments),
plus the insert-or-ignore the case loop's repositories share.

Every read of alerts, incidents and cases goes through these clauses, in the list and by id
alike, so a row outside the scope is invisible the same way a missing row is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.db.tables import AlertRow, Base, CaseRow


def _under(column: InstrumentedAttribute[str | None], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, in a form a plain b-tree index can serve.

    ``LIKE 'p%'`` alone uses no index under a non-C collation (PostgreSQL's default), so a
    scoped count would scan every alert. The range ``[p, p+1)`` is an index range scan; the
    LIKE keeps the match exact whatever the collation's ordering of letters.
    """
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper, column.startswith(prefix, autoescape=True))


def _grid_clauses(model: Any, scope: Scope) -> list[ColumnElement[bool]]:
    columns = (model.grid_l1_code, model.grid_l2_code, model.grid_l3_code)
    # Sorted for a stable statement text (statement caching, readable logs).
    return [_under(column, prefix) for prefix in sorted(scope.grid_prefixes) for column in columns]


def scope_clause(model: Any, scope: Scope | None) -> ColumnElement[bool]:
    """Rows of ``model`` (grid_l1..3_code, optionally ``department``) visible within ``scope``;
    ``None`` is the system itself (the scheduler, auto-verify) and sees everything."""
    if scope is None or scope.unrestricted:
        return true()
    clauses = _grid_clauses(model, scope)
    department = getattr(model, "department", None)
    if department is not None and scope.departments:
        clauses.append(department.in_(sorted(scope.departments)))
    return or_(*clauses) if clauses else false()


def case_scope(scope: Scope) -> ColumnElement[bool]:
    return scope_clause(CaseRow, scope)


def alert_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.unrestricted:
        return true()
    clauses = _grid_clauses(AlertRow, scope)
    if scope.departments:
        # A department sees the alerts behind its cases.
        cases = select(CaseRow.id).where(CaseRow.department.in_(sorted(scope.departments)))
        clauses.append(AlertRow.case_id.in_(cases))
    return or_(*clauses) if clauses else false()


def grid_match(model: Any, code: str) -> ColumnElement[bool]:
    """Rows of ``model`` in grid ``code`` at whichever level the code is."""
    return or_(model.grid_l1_code == code, model.grid_l2_code == code, model.grid_l3_code == code)


def insert_or_ignore(
    session: Session, model: type[Base], values: dict[str, Any], keys: list[str]
) -> bool:
    """``INSERT … ON CONFLICT (keys) DO NOTHING RETURNING keys``; True when it inserted.

    Core ``RETURNING``, not ``rowcount``: through the ORM session an insert of a mapped class
    reports a row count even when PostgreSQL skipped the row.
    """
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    statement = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*[table.c[key] for key in keys])
    )
    return session.execute(statement).first() is not None
