"""SQL of the login throttle. Functions take a ``Session``; the caller owns the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from gridwatch_central.db.tables import LoginThrottleRow


def get_for_update(session: Session, key: str) -> LoginThrottleRow | None:
    """The row of ``key``, locked until the transaction ends (PostgreSQL; SQLite locks the
    whole database on write), so two workers never lose one another's failure."""
    query = select(LoginThrottleRow).where(LoginThrottleRow.key == key).with_for_update()
    return session.scalar(query)


def locked(session: Session, keys: Sequence[str], now: datetime) -> Sequence[LoginThrottleRow]:
    query = select(LoginThrottleRow).where(
        LoginThrottleRow.key.in_(keys), LoginThrottleRow.locked_until > now
    )
    return session.scalars(query).all()


def add(session: Session, row: LoginThrottleRow) -> None:
    session.add(row)
    session.flush()


def reset(session: Session, key: str) -> None:
    session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == key))


def current_lockouts(session: Session, now: datetime) -> Sequence[LoginThrottleRow]:
    query = (
        select(LoginThrottleRow)
        .where(LoginThrottleRow.locked_until > now)
        .order_by(LoginThrottleRow.locked_until.desc())
    )
    return session.scalars(query).all()


def clear(session: Session, keys: Sequence[str]) -> int:
    """Forget the failures and lockouts of ``keys``; how many rows held a lockout or count."""
    result = session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key.in_(keys)))
    return int(getattr(result, "rowcount", 0) or 0)


def prune(session: Session, window_start: datetime, now: datetime) -> None:
    """Drop rows whose failures are too old to count and that hold no lockout."""
    session.execute(
        delete(LoginThrottleRow).where(
            LoginThrottleRow.last_failure_at < window_start,
            or_(LoginThrottleRow.locked_until.is_(None), LoginThrottleRow.locked_until <= now),
        )
    )
