"""Administration: users with their roles and grid scopes, and integrators' API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gridwatch_central.auth.models import ApiKeyCreatedOut, ApiKeyIn, UserIn, UserPatch
from gridwatch_central.auth.scope import Role
from gridwatch_central.auth.service import ConflictError
from gridwatch_central.web.deps import Console, ConsoleDep, PosterDep, ViewerDep
from gridwatch_central.web.session import Viewer

router = APIRouter(prefix="/console/admin")
# Users and keys shown; a city's command centre has a few hundred people at most.
LIST_LIMIT = 500


def _items(text: str) -> list[str]:
    """``a, b，c`` (ASCII or full-width commas, spaces) → ["a", "b", "c"]."""
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


def _page(
    request: Request,
    console: Console,
    viewer: Viewer,
    *,
    created_key: ApiKeyCreatedOut | None = None,
    error: str | None = None,
) -> Response:
    if viewer.role is not Role.ADMIN:
        return console.renderer.page(
            request, viewer, "error.html", status_code=403, message_key="error.forbidden"
        )
    auth = console.context.auth
    return console.renderer.page(
        request,
        viewer,
        "admin.html",
        status_code=400 if error else 200,
        users=auth.list_users(LIST_LIMIT, 0).items,
        keys=auth.list_api_keys(LIST_LIMIT, 0).items,
        roles=[role.value for role in Role],
        created_key=created_key,
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def admin_page(request: Request, console: ConsoleDep, viewer: ViewerDep) -> Response:
    return _page(request, console, viewer)


def _refused(request: Request, console: Console, viewer: Viewer) -> Response | None:
    if viewer.role is not Role.ADMIN:
        return _page(request, console, viewer)
    return None


@router.post("/users")
def create_user(
    request: Request,
    console: ConsoleDep,
    viewer: PosterDep,
    *,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
    grid_prefixes: Annotated[str, Form()] = "",
    departments: Annotated[str, Form()] = "",
) -> Response:
    refused = _refused(request, console, viewer)
    if refused is not None:
        return refused
    try:
        spec = UserIn.model_validate(
            {
                "username": username,
                "display_name": display_name,
                "password": password,
                "role": role,
                "grid_prefixes": _items(grid_prefixes),
                "departments": _items(departments),
            }
        )
        console.context.auth.create_user(spec)
    except (ValidationError, ConflictError) as error:
        return _page(request, console, viewer, error=str(error))
    return RedirectResponse("/console/admin", status_code=303)


@router.post("/users/{user_id}")
def update_user(
    request: Request,
    console: ConsoleDep,
    viewer: PosterDep,
    *,
    user_id: int,
    role: Annotated[str, Form()],
    grid_prefixes: Annotated[str, Form()] = "",
    departments: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    refused = _refused(request, console, viewer)
    if refused is not None:
        return refused
    try:
        patch = UserPatch.model_validate(
            {
                "role": role,
                "grid_prefixes": _items(grid_prefixes),
                "departments": _items(departments),
                "active": active == "on",
                "password": password or None,
            }
        )
        console.context.auth.update_user(user_id, patch)
    except (ValidationError, ConflictError) as error:
        return _page(request, console, viewer, error=str(error))
    return RedirectResponse("/console/admin", status_code=303)


@router.post("/api-keys")
def create_api_key(
    request: Request,
    console: ConsoleDep,
    viewer: PosterDep,
    *,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()] = Role.INTEGRATOR.value,
    grid_prefixes: Annotated[str, Form()] = "",
    departments: Annotated[str, Form()] = "",
) -> Response:
    """The new key is in this one response only (stored hashed), as in the API."""
    refused = _refused(request, console, viewer)
    if refused is not None:
        return refused
    try:
        spec = ApiKeyIn.model_validate(
            {
                "name": name,
                "role": role,
                "grid_prefixes": _items(grid_prefixes),
                "departments": _items(departments),
            }
        )
    except ValidationError as error:
        return _page(request, console, viewer, error=str(error))
    created = console.context.auth.create_api_key(spec, created_by=viewer.principal.actor)
    return _page(request, console, viewer, created_key=created)


@router.post("/api-keys/{key_id}/revoke")
def revoke_api_key(
    request: Request, console: ConsoleDep, viewer: PosterDep, key_id: int
) -> Response:
    refused = _refused(request, console, viewer)
    if refused is not None:
        return refused
    console.context.auth.revoke_api_key(key_id)
    return RedirectResponse("/console/admin", status_code=303)
