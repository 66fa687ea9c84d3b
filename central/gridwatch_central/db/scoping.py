"""SQL shared by the case loop's repositories: the ``Scope`` filter and insert-or-ignore."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridwatch_central.cases.scope import Scope
from gridwatch_central.db.tables import Base


def scope_clause(model: Any, scope: Scope | None) -> ColumnElement[bool]:
    """Rows of ``model`` (grid_l1..3_code, optionally ``department``) visible within ``scope``."""
    if scope is None or scope.unrestricted:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if scope.grid_codes is not None:
        codes = sorted(scope.grid_codes)
        clauses += [
            model.grid_l1_code.in_(codes),
            model.grid_l2_code.in_(codes),
            model.grid_l3_code.in_(codes),
        ]
    if scope.department_codes is not None and hasattr(model, "department"):
        clauses.append(model.department.in_(sorted(scope.department_codes)))
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
