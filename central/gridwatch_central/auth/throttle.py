"""Login rate limiting: failed logins counted per account and per client address, in the
database (every central worker sees the same counts), with lockouts an admin can clear.

A locked account or address is refused before its password is checked, so guessing goes on
learning nothing; a lockout ends by itself after ``lockout_s`` or when an admin clears it.
Each lockout and each clearing is logged at WARNING.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.config import LoginThrottleConfig
from gridwatch_central.db import login_throttle_repository as repo
from gridwatch_central.db.tables import LoginThrottleRow

log = logging.getLogger(__name__)

ACCOUNT = "account"
ADDRESS = "address"


class LoginLockedError(Exception):
    """Too many failed logins for this account or from this address; try again later."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            "too many failed logins for this account or from this address;"
            f" try again in {retry_after_s} s or ask an admin to clear the lockout"
        )
        self.retry_after_s = retry_after_s


class LockoutOut(BaseModel):
    kind: Literal["account", "address"]
    subject: str = Field(description="The user name or the client address")
    failures: int
    locked_until: datetime


class LockoutClearIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        # At least one of the two, as a string: the validator's rule, published.
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "string"}}}
                for name in ("username", "address")
            ]
        },
    )

    username: str | None = Field(default=None, min_length=1, max_length=64)
    address: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one(self) -> LockoutClearIn:
        if self.username is None and self.address is None:
            raise ValueError("name a username, an address or both")
        return self


class LockoutClearedOut(BaseModel):
    cleared: int = Field(description="Accounts and addresses whose failures were forgotten")


@dataclass(frozen=True, slots=True)
class _Key:
    kind: str
    subject: str

    @property
    def value(self) -> str:
        # Bounded to the column: a longer subject cannot be a real user name or address.
        return f"{self.kind}:{self.subject}"[:200]


def _now() -> datetime:
    return datetime.now(UTC)


class LoginThrottle:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: LoginThrottleConfig,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock

    def check(self, username: str, address: str | None) -> None:
        """Raise ``LoginLockedError`` if the account or the address is locked now."""
        if not self._config.enabled:
            return
        now = self._clock()
        keys = [k.value for k in _keys(username, address)]
        with self._sessions() as session:
            rows = repo.locked(session, keys, now)
            until = max((row.locked_until for row in rows if row.locked_until), default=None)
        if until is not None:
            raise LoginLockedError(max(1, int((until - now).total_seconds() + 0.999)))

    def failed(self, username: str, address: str | None) -> None:
        """Count one failed login against the account and the address; lock at the limit."""
        if not self._config.enabled:
            return
        for key in _keys(username, address):
            limit = self._limit(key)
            try:
                self._count(key, limit)
            except IntegrityError:  # another worker added the row first: count on it
                self._count(key, limit)

    def succeeded(self, username: str) -> None:
        """A right password ends the account's run of failures (not the address's: one good
        account must not reset the count of a machine trying many)."""
        if not self._config.enabled:
            return
        with self._sessions.begin() as session:
            repo.reset(session, _Key(ACCOUNT, username).value)

    def lockouts(self) -> list[LockoutOut]:
        with self._sessions() as session:
            rows = repo.current_lockouts(session, self._clock())
            return [_out(row) for row in rows]

    def clear(self, username: str | None, address: str | None, by: str) -> int:
        keys = [_Key(ACCOUNT, username)] if username is not None else []
        keys += [_Key(ADDRESS, address)] if address is not None else []
        with self._sessions.begin() as session:
            cleared = repo.clear(session, [k.value for k in keys])
        names = ", ".join(f"{k.kind} {k.subject!r}" for k in keys)
        log.warning("login lockout cleared by %s: %s (%d record(s))", by, names, cleared)
        return cleared

    def _limit(self, key: _Key) -> int:
        if key.kind == ACCOUNT:
            return self._config.account_failures
        return self._config.address_failures

    def _count(self, key: _Key, limit: int) -> None:
        now = self._clock()
        window_start = now - timedelta(seconds=self._config.window_s)
        with self._sessions.begin() as session:
            row = repo.get_for_update(session, key.value)
            if row is None:
                row = LoginThrottleRow(
                    key=key.value, failures=0, window_started_at=now, last_failure_at=now
                )
                repo.add(session, row)
            elif row.window_started_at < window_start and not _is_locked(row, now):
                row.failures, row.window_started_at, row.locked_until = 0, now, None
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= limit and not _is_locked(row, now):
                row.locked_until = now + timedelta(seconds=self._config.lockout_s)
                log.warning(
                    "login lockout: %s %r locked until %s after %d failed logins",
                    key.kind,
                    key.subject,
                    row.locked_until.isoformat(timespec="seconds"),
                    row.failures,
                )
            repo.prune(session, window_start, now)


def _keys(username: str, address: str | None) -> list[_Key]:
    keys = [_Key(ACCOUNT, username)]
    if address:
        keys.append(_Key(ADDRESS, address))
    return keys


def _is_locked(row: LoginThrottleRow, now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > now


def _out(row: LoginThrottleRow) -> LockoutOut:
    kind, _, subject = row.key.partition(":")
    assert row.locked_until is not None
    return LockoutOut(
        kind=ACCOUNT if kind == ACCOUNT else ADDRESS,
        subject=subject,
        failures=row.failures,
        locked_until=row.locked_until,
    )
