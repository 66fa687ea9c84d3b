"""SQL of access: users and API keys. Functions take a ``Session``; the caller owns the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridwatch_central.db.tables import ApiKeyRow, UserRow


def get_user(session: Session, user_id: int) -> UserRow | None:
    return session.get(UserRow, user_id)


def user_by_name(session: Session, username: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.username == username))


def add_user(session: Session, values: dict[str, Any]) -> UserRow:
    row = UserRow(**values)
    session.add(row)
    session.flush()
    return row


RowT = TypeVar("RowT", UserRow, ApiKeyRow)


def _listing(
    session: Session, model: type[RowT], limit: int, offset: int
) -> tuple[Sequence[RowT], int]:
    total = session.scalar(select(func.count()).select_from(model)) or 0
    rows = session.scalars(select(model).order_by(model.id).limit(limit).offset(offset)).all()
    return rows, total


def list_users(session: Session, limit: int, offset: int) -> tuple[Sequence[UserRow], int]:
    return _listing(session, UserRow, limit, offset)


def count_admins(session: Session, admin_role: str) -> int:
    query = select(func.count()).where(UserRow.role == admin_role, UserRow.active.is_(True))
    return session.scalar(query) or 0


def api_key_by_key_id(session: Session, key_id: str) -> ApiKeyRow | None:
    return session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_id == key_id))


def get_api_key(session: Session, key_row_id: int) -> ApiKeyRow | None:
    return session.get(ApiKeyRow, key_row_id)


def add_api_key(session: Session, values: dict[str, Any]) -> ApiKeyRow:
    row = ApiKeyRow(**values)
    session.add(row)
    session.flush()
    return row


def list_api_keys(session: Session, limit: int, offset: int) -> tuple[Sequence[ApiKeyRow], int]:
    return _listing(session, ApiKeyRow, limit, offset)


def revoke_api_key(session: Session, key_row_id: int, at: datetime) -> None:
    statement = update(ApiKeyRow).where(ApiKeyRow.id == key_row_id, ApiKeyRow.revoked_at.is_(None))
    session.execute(statement.values(revoked_at=at))
