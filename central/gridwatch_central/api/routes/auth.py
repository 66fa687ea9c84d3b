"""Login and "who am I"."""

from __future__ import annotations

from fastapi import APIRouter

from gridwatch_central.api.deps import ContextDep, PrincipalDep
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.auth.models import LoginIn, PrincipalOut, TokenOut
from gridwatch_central.auth.tokens import InvalidCredentialsError

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenOut, responses=responses(401, 413, 422))
def login(context: ContextDep, credentials: LoginIn) -> TokenOut:
    """Exchange a username and password for a Bearer token (JWT)."""
    try:
        return context.auth.login(credentials.username, credentials.password.get_secret_value())
    except InvalidCredentialsError as error:
        raise ApiError(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None


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
