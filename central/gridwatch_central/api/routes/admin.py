"""Administration of users and API keys (admin role only)."""

from __future__ import annotations

from fastapi import APIRouter

from gridwatch_central.api.deps import (
    DEFAULT_PAGE_SIZE,
    AdminDep,
    ContextDep,
    IdPath,
    Limit,
    Offset,
)
from gridwatch_central.api.errors import ApiError, responses
from gridwatch_central.auth.models import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    ApiKeyPage,
    UserIn,
    UserOut,
    UserPage,
    UserPatch,
)
from gridwatch_central.auth.service import ConflictError

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post(
    "/users", response_model=UserOut, status_code=201, responses=responses(401, 403, 409, 413, 422)
)
def create_user(context: ContextDep, _admin: AdminDep, spec: UserIn) -> UserOut:
    try:
        return context.auth.create_user(spec)
    except ConflictError as error:
        raise ApiError(409, str(error)) from None


@router.get("/users", response_model=UserPage, responses=responses(401, 403, 413, 422))
def list_users(
    context: ContextDep, _admin: AdminDep, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> UserPage:
    return context.auth.list_users(limit, offset)


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses=responses(401, 403, 404, 409, 413, 422, d404="No such user"),
)
def update_user(
    context: ContextDep, _admin: AdminDep, user_id: IdPath, patch: UserPatch
) -> UserOut:
    """Change role, scope, password or deactivate (``active: false``) a user."""
    try:
        user = context.auth.update_user(user_id, patch)
    except ConflictError as error:
        raise ApiError(409, str(error)) from None
    if user is None:
        raise ApiError(404, f"user {user_id} not found")
    return user


@router.post(
    "/api-keys",
    response_model=ApiKeyCreatedOut,
    status_code=201,
    responses=responses(401, 403, 413, 422),
)
def create_api_key(context: ContextDep, admin: AdminDep, spec: ApiKeyIn) -> ApiKeyCreatedOut:
    """Create a key for an integrator's system. The key is in this response only."""
    return context.auth.create_api_key(spec, created_by=admin.actor)


@router.get("/api-keys", response_model=ApiKeyPage, responses=responses(401, 403, 413, 422))
def list_api_keys(
    context: ContextDep, _admin: AdminDep, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> ApiKeyPage:
    return context.auth.list_api_keys(limit, offset)


@router.delete(
    "/api-keys/{key_id}",
    response_model=ApiKeyOut,
    responses=responses(401, 403, 404, 413, 422, d404="No such API key"),
)
def revoke_api_key(context: ContextDep, _admin: AdminDep, key_id: IdPath) -> ApiKeyOut:
    """Revoke a key at once; it stays listed with its ``revoked_at``."""
    revoked = context.auth.revoke_api_key(key_id)
    if revoked is None:
        raise ApiError(404, f"API key {key_id} not found")
    return revoked
