"""The principal cache: fewer database reads per request, never a disabled caller for long."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.auth.models import ApiKeyIn, UserIn, UserPatch
from gridwatch_central.auth.passwords import Passwords
from gridwatch_central.auth.scope import Role
from gridwatch_central.auth.service import AuthService
from gridwatch_central.auth.tokens import InvalidCredentialsError, TokenIssuer
from gridwatch_central.db.engine import make_engine, make_sessions
from gridwatch_central.db.migrate import upgrade_to_head

SECRET = "s" * 32
# Long enough that the cached entry is certainly still fresh within one test step.
LONG_TTL_S = 60.0
# Short enough to wait out in a test.
SHORT_TTL_S = 0.2


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade_to_head(sqlite_url)
    engine = make_engine(sqlite_url)
    yield make_sessions(engine)
    engine.dispose()


def _service(sessions: sessionmaker[Session], cache_s: float) -> AuthService:
    issuer = TokenIssuer(SECRET, timedelta(minutes=5))
    return AuthService(sessions, issuer, Passwords(), principal_cache_s=cache_s)


def _operator(service: AuthService) -> tuple[int, str]:
    """An operator and their token; an admin exists too, as every user change requires."""
    service.ensure_bootstrap_admin("admin", "an-admin-password")
    user = service.create_user(
        UserIn(
            username="wang",
            password="a-long-password",
            role=Role.OPERATOR,
            grid_prefixes=["500240101"],
        )
    )
    return user.id, service.login("wang", "a-long-password").access_token


def test_a_change_made_by_this_process_applies_at_once(sessions: sessionmaker[Session]) -> None:
    service = _service(sessions, LONG_TTL_S)
    user_id, token = _operator(service)
    assert service.principal_from_token(token).scope.grid_prefixes == {"500240101"}
    service.update_user(user_id, UserPatch(grid_prefixes=["500240102"]))
    assert service.principal_from_token(token).scope.grid_prefixes == {"500240102"}
    service.update_user(user_id, UserPatch(active=False))
    with pytest.raises(InvalidCredentialsError, match="disabled"):
        service.principal_from_token(token)


def test_a_change_made_by_another_process_applies_within_the_ttl(
    sessions: sessionmaker[Session],
) -> None:
    here, elsewhere = _service(sessions, SHORT_TTL_S), _service(sessions, SHORT_TTL_S)
    user_id, token = _operator(here)
    assert here.principal_from_token(token).role is Role.OPERATOR
    elsewhere.update_user(user_id, UserPatch(active=False))
    time.sleep(SHORT_TTL_S * 2)
    with pytest.raises(InvalidCredentialsError, match="disabled"):
        here.principal_from_token(token)


def test_a_revoked_key_stops_at_once_here(sessions: sessionmaker[Session]) -> None:
    service = _service(sessions, LONG_TTL_S)
    created = service.create_api_key(ApiKeyIn(name="city-brain", role=Role.INTEGRATOR), "admin")
    secret = created.api_key
    assert service.principal_from_api_key(secret).name == "city-brain"
    service.revoke_api_key(created.id)
    with pytest.raises(InvalidCredentialsError, match="revoked"):
        service.principal_from_api_key(secret)


def test_bad_credentials_are_never_cached(sessions: sessionmaker[Session]) -> None:
    service = _service(sessions, LONG_TTL_S)
    with pytest.raises(InvalidCredentialsError):
        service.principal_from_api_key("gwk_0123abcd_not-a-real-key")
    with pytest.raises(InvalidCredentialsError):
        service.principal_from_token("not-a-token")
    forged = TokenIssuer("x" * 32, timedelta(minutes=5)).issue(1).token
    with pytest.raises(InvalidCredentialsError):  # the signature is checked on every call
        service.principal_from_token(forged)
