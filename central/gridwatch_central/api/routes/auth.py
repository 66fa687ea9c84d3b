"""Login, "who am I", and the admin's view of login lockouts."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gridwatch_central.api.deps import AdminDep, ContextDep, PrincipalDep
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.auth.models import LoginIn, PrincipalOut, TokenOut
from gridwatch_central.auth.throttle import (
    LockoutClearedOut,
    LockoutClearIn,
    LockoutOut,
    LoginLockedError,
    LoginThrottle,
)
from gridwatch_central.auth.tokens import InvalidCredentialsError

router = APIRouter(prefix="/auth", tags=["auth"])


def client_address(request: Request) -> str | None:
    """The peer's address (the proxy's, unless uvicorn is told to trust its forwarded-for)."""
    return request.client.host if request.client is not None else None


@router.post(
    "/login",
    response_model=TokenOut,
    responses=responses(
        401,
        413,
        422,
        429,
        d429="Too many failed logins for this account or from this address (Retry-After)",
    ),
)
def login(request: Request, context: ContextDep, credentials: LoginIn) -> TokenOut:
    """Exchange a username and password for a Bearer token (JWT)."""
    password = credentials.password.get_secret_value()
    try:
        return context.auth.login(credentials.username, password, client_address(request))
    except InvalidCredentialsError as error:
        raise ApiError(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    except LoginLockedError as error:
        retry = {"Retry-After": str(error.retry_after_s)}
        raise ApiError(429, str(error), code="locked_out", headers=retry) from None


@router.get("/me", response_model=PrincipalOut, responses=responses(401, 413))
def me(principal: PrincipalDep) -> PrincipalOut:
    scope = principal.scope
    return PrincipalOut(
        kind="api_key" if principal.kind == "api_key" else "user",
        id=principal.id,
        name=principal.name,
        role=principal.role,
        unrestricted=scope.unrestricted,
        grid_prefixes=sorted(scope.grid_prefixes),
        departments=sorted(scope.departments),
    )


def _throttle(context: ContextDep) -> LoginThrottle:
    if context.auth.throttle is None:
        raise ApiError(404, "login rate limiting is not configured")
    return context.auth.throttle


@router.get("/lockouts", response_model=list[LockoutOut], responses=responses(401, 403, 404, 413))
def list_lockouts(context: ContextDep, _admin: AdminDep) -> list[LockoutOut]:
    """Accounts and client addresses locked out now (admin only)."""
    return _throttle(context).lockouts()


@router.post(
    "/lockouts/clear",
    response_model=LockoutClearedOut,
    responses=responses(401, 403, 404, 413, 422),
)
def clear_lockout(context: ContextDep, admin: AdminDep, body: LockoutClearIn) -> LockoutClearedOut:
    """End the lockout and forget the failed logins of an account, an address or both."""
    cleared = _throttle(context).clear(body.username, body.address, by=admin.actor)
    return LockoutClearedOut(cleared=cleared)
