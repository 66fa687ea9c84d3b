"""Logins, principals from tokens and keys, and the administration of users and keys."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from cachetools import TTLCache
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.models import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    ApiKeyPage,
    TokenOut,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
)
from gridwatch_central.auth.passwords import Passwords
from gridwatch_central.auth.scope import Principal, Role, Scope
from gridwatch_central.auth.throttle import LoginThrottle
from gridwatch_central.auth.tokens import (
    InvalidCredentialsError,
    TokenIssuer,
    api_key_id,
    api_key_matches,
    hash_api_key,
    new_api_key,
)
from gridwatch_central.db import auth_repository as repo
from gridwatch_central.db.tables import ApiKeyRow, UserRow

log = logging.getLogger(__name__)


class ConflictError(ValueError):
    """The request clashes with existing data (a taken username, the last admin)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


# Principals kept at once: every active user and key of a city fits many times over.
PRINCIPAL_CACHE_SIZE = 4096


def scope_of(role: Role, grid_prefixes: list[str], departments: list[str]) -> Scope:
    if role is Role.ADMIN:
        return Scope.everything()
    return Scope.of(grid_prefixes, departments)


class AuthService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        issuer: TokenIssuer,
        passwords: Passwords,
        *,
        clock: Callable[[], datetime] = _utc_now,
        principal_cache_s: float = 0.0,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._sessions = sessions
        # None: no rate limit (the shell's maintenance tasks, which never log anyone in).
        self.throttle = throttle
        self._issuer = issuer
        self._passwords = passwords
        self._clock = clock
        # Who a verified token or key belongs to, for a few seconds (see AuthConfig); the
        # token's signature and expiry are still checked on every request.
        self._cache_s = principal_cache_s
        self._principals: TTLCache[tuple[str, int | str], Principal] = TTLCache(
            PRINCIPAL_CACHE_SIZE, max(principal_cache_s, 1e-3)
        )
        self._cache_lock = threading.Lock()

    # --- authentication ---

    def login(self, username: str, password: str, address: str | None = None) -> TokenOut:
        """A token for the right password; raises ``LoginLockedError`` (before the password
        is looked at) while the account or the client ``address`` is locked out."""
        if self.throttle is not None:
            self.throttle.check(username, address)
        with self._sessions() as session:
            user = repo.user_by_name(session, username)
        stored = user.password_hash if user is not None and user.active else None
        if not self._passwords.verify(stored, password) or user is None:
            if self.throttle is not None:
                self.throttle.failed(username, address)
            raise InvalidCredentialsError("wrong username or password, or the user is disabled")
        if self.throttle is not None:
            self.throttle.succeeded(username)
        issued = self._issuer.issue(user.id, self._clock())
        return TokenOut(access_token=issued.token, expires_at=issued.expires_at, role=user.role)

    def principal_from_token(self, token: str) -> Principal:
        user_id = self._issuer.user_id(token)
        return self._cached(("user", user_id), lambda: self._user_principal(user_id))

    def principal_from_api_key(self, secret: str) -> Principal:
        api_key_id(secret)  # refuses a malformed key before it is hashed
        return self._cached(("api_key", hash_api_key(secret)), lambda: self._key_principal(secret))

    def forget_principals(self) -> None:
        """Drop every cached principal: this process changed a user or a key."""
        with self._cache_lock:
            self._principals.clear()

    def _cached(self, key: tuple[str, int | str], load: Callable[[], Principal]) -> Principal:
        if self._cache_s <= 0:
            return load()
        with self._cache_lock:
            found = self._principals.get(key)
        if found is not None:
            return found
        principal = load()  # raises for unknown or disabled callers, which are never cached
        with self._cache_lock:
            self._principals[key] = principal
        return principal

    def _user_principal(self, user_id: int) -> Principal:
        with self._sessions() as session:
            user = repo.get_user(session, user_id)
        if user is None or not user.active:
            raise InvalidCredentialsError("invalid token: the user no longer exists or is disabled")
        role = Role(user.role)
        scope = scope_of(role, user.grid_prefixes, user.departments)
        return Principal("user", user.id, user.username, role, scope)

    def _key_principal(self, secret: str) -> Principal:
        key_id = api_key_id(secret)
        with self._sessions() as session:
            key = repo.api_key_by_key_id(session, key_id)
        if key is None or key.revoked_at is not None or not api_key_matches(secret, key.key_hash):
            raise InvalidCredentialsError("invalid API key: unknown or revoked")
        role = Role(key.role)
        scope = scope_of(role, key.grid_prefixes, key.departments)
        return Principal("api_key", key.id, key.name, role, scope)

    # --- users ---

    def create_user(self, spec: UserIn) -> UserOut:
        values = {
            "username": spec.username,
            "display_name": spec.display_name or spec.username,
            "password_hash": self._passwords.hash(spec.password.get_secret_value()),
            "role": spec.role.value,
            "grid_prefixes": spec.grid_prefixes,
            "departments": sorted(set(spec.departments)),
            "active": True,
            "created_at": self._clock(),
        }
        try:
            with self._sessions.begin() as session:
                row = repo.add_user(session, values)
        except IntegrityError:
            raise ConflictError(f"username {spec.username!r} is taken") from None
        return UserOut.model_validate(row)

    def update_user(self, user_id: int, patch: UserPatch) -> UserOut | None:
        with self._sessions.begin() as session:
            row = repo.get_user(session, user_id)
            if row is None:
                return None
            self._apply(row, patch)
            self.forget_principals()
            if repo.count_admins(session, Role.ADMIN.value) == 0:
                # Raising rolls the change back: someone must always be able to administer.
                raise ConflictError("this change would leave no active admin")
            return UserOut.model_validate(row)

    def _apply(self, row: UserRow, patch: UserPatch) -> None:
        if patch.display_name is not None:
            row.display_name = patch.display_name
        if patch.password is not None:
            row.password_hash = self._passwords.hash(patch.password.get_secret_value())
        if patch.role is not None:
            row.role = patch.role.value
        if patch.active is not None:
            row.active = patch.active
        if patch.grid_prefixes is not None:
            row.grid_prefixes = patch.grid_prefixes
        if patch.departments is not None:
            row.departments = sorted(set(patch.departments))

    def list_users(self, limit: int, offset: int) -> UserPage:
        with self._sessions() as session:
            rows, total = repo.list_users(session, limit, offset)
            items = [UserOut.model_validate(row) for row in rows]
        return UserPage(items=items, total=total, limit=limit, offset=offset)

    def ensure_bootstrap_admin(self, username: str, password: str) -> bool:
        """Create the first admin if there is no active admin; True if one was created."""
        with self._sessions() as session:
            if repo.count_admins(session, Role.ADMIN.value) > 0:
                return False
        spec = UserIn(username=username, password=password, role=Role.ADMIN)
        try:
            self.create_user(spec)
        except ConflictError:  # another central process created it at the same moment
            return False
        log.info("created the bootstrap admin %r", username)
        return True

    # --- API keys ---

    def create_api_key(self, spec: ApiKeyIn, created_by: str) -> ApiKeyCreatedOut:
        key = new_api_key()
        values = {
            "key_id": key.key_id,
            "key_hash": key.key_hash,
            "name": spec.name,
            "role": spec.role.value,
            "grid_prefixes": spec.grid_prefixes,
            "departments": sorted(set(spec.departments)),
            "created_at": self._clock(),
            "created_by": created_by,
            "revoked_at": None,
        }
        with self._sessions.begin() as session:
            row = repo.add_api_key(session, values)
            shown = ApiKeyOut.model_validate(row)
        return ApiKeyCreatedOut(**shown.model_dump(), api_key=key.secret)

    def list_api_keys(self, limit: int, offset: int) -> ApiKeyPage:
        with self._sessions() as session:
            rows, total = repo.list_api_keys(session, limit, offset)
            items = [ApiKeyOut.model_validate(row) for row in rows]
        return ApiKeyPage(items=items, total=total, limit=limit, offset=offset)

    def revoke_api_key(self, key_row_id: int) -> ApiKeyOut | None:
        with self._sessions.begin() as session:
            if repo.get_api_key(session, key_row_id) is None:
                return None
            repo.revoke_api_key(session, key_row_id, self._clock())
        self.forget_principals()
        with self._sessions() as session:
            row: ApiKeyRow | None = repo.get_api_key(session, key_row_id)
            return ApiKeyOut.model_validate(row) if row is not None else None
