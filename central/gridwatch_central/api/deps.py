"""Dependencies of the routes: the runtime context, a session per request, the caller.

Routes take ``PrincipalDep`` (who calls) or ``ScopeDep`` (what they may see) and pass the
``Scope`` on to services and repositories; ``require_roles`` guards role-specific routes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Protocol, cast

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.api.errors import ApiError
from gridwatch_central.auth.scope import Principal, Role, Scope
from gridwatch_central.auth.service import AuthService
from gridwatch_central.auth.tokens import InvalidCredentialsError
from gridwatch_central.clips.access import ClipAccess
from gridwatch_central.clips.store import ClipStore
from gridwatch_central.ingest.metrics import IngestMetrics
from gridwatch_central.schemas import MAX_ROW_ID
from gridwatch_central.snapshots import SnapshotStore

# Enough for a dashboard page; a client wanting everything pages through.
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 50

# Who every request is when authentication is switched off (closed lab networks only).
ANONYMOUS_ADMIN = Principal("user", 0, "anonymous", Role.ADMIN, Scope.everything())


class AppContext(Protocol):
    """What the API needs from the runtime; ``CentralRuntime`` provides it."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def snapshots(self) -> SnapshotStore: ...

    @property
    def clips(self) -> ClipStore: ...

    @property
    def clip_access(self) -> ClipAccess: ...

    @property
    def ingest_metrics(self) -> IngestMetrics: ...

    @property
    def registry(self) -> CollectorRegistry: ...

    @property
    def mqtt_connected(self) -> bool: ...

    @property
    def ingest_stall_after_s(self) -> float: ...

    @property
    def auth(self) -> AuthService: ...

    @property
    def auth_enabled(self) -> bool: ...


def get_context(request: Request) -> AppContext:
    return cast(AppContext, request.app.state.context)


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    with context.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
# No table holds more rows than an INTEGER id counts; a larger offset would overflow the
# database's BIGINT (500 on PostgreSQL) instead of returning an empty page, so it is a 422.
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Rows to skip")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]

_bearer = HTTPBearer(auto_error=False, description="JWT from POST /api/v1/auth/login")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Integrator API key")


def _unauthenticated(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def current_principal(
    context: ContextDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The authenticated caller, from a Bearer JWT or an X-API-Key header; else 401."""
    if not context.auth_enabled:
        return ANONYMOUS_ADMIN
    try:
        if bearer is not None:
            return context.auth.principal_from_token(bearer.credentials)
        if api_key is not None:
            return context.auth.principal_from_api_key(api_key)
    except InvalidCredentialsError as error:
        raise _unauthenticated(str(error)) from None
    raise _unauthenticated("authentication required: a Bearer token or an X-API-Key header")


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def principal_if_credentials(
    context: ContextDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal | None:
    """For routes that also take another proof (a clip's access link): the caller when
    credentials came (401 if they are bad), None when none came."""
    if context.auth_enabled and bearer is None and api_key is None:
        return None
    return refuse_gateway_keys(current_principal(context, bearer, api_key))


OptionalPrincipalDep = Annotated[Principal | None, Depends(principal_if_credentials)]


def current_scope(principal: PrincipalDep) -> Scope:
    return principal.scope


ScopeDep = Annotated[Scope, Depends(current_scope)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only the given roles (403 otherwise); admin is always admitted."""
    allowed = {*roles, Role.ADMIN}

    def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise ApiError(403, f"role {principal.role.value} may not do this (needs {names})")
        return principal

    return dependency


AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def refuse_gateway_keys(principal: PrincipalDep) -> Principal:
    """A sensor gateway's key posts its batches and nothing else (403 on every other route)."""
    if principal.role is Role.GATEWAY:
        raise ApiError(403, "a gateway key may only post sensor batches (/api/v1/sensors/batches)")
    return principal
