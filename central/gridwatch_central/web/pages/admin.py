"""Administration: users with their roles and grid scopes, and integrators' API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from gridwatch_central.auth.models import ApiKeyCreatedOut, ApiKeyIn, UserIn, UserPatch
from gridwatch_central.auth.scope import Role
from gridwatch_central.auth.service import ConflictError
from gridwatch_central.web.deps import Console, ConsoleDep, PosterDep, ViewerDep
from gridwatch_central.web.session import NotAllowedError, Viewer
from gridwatch_central.web.views import form_items

router = APIRouter(prefix="/console/admin")
# Users and keys shown; a city's command centre has a few hundred people at most.
LIST_LIMIT = 500
BACK = "/console/admin"


def _admin(viewer: Viewer) -> Viewer:
    if viewer.role is not Role.ADMIN:
        raise NotAllowedError
    return viewer


def get_admin_viewer(viewer: ViewerDep) -> Viewer:
    return _admin(viewer)


def get_admin_poster(viewer: PosterDep) -> Viewer:
    return _admin(viewer)


AdminViewer = Annotated[Viewer, Depends(get_admin_viewer)]
AdminPoster = Annotated[Viewer, Depends(get_admin_poster)]
Text = Annotated[str, Form(max_length=2000)]


def _grant(role: str, grid_prefixes: str, departments: str) -> dict[str, Any]:
    """The role and scope fields every user and key form has, as the API models take them."""
    return {
        "role": role,
        "grid_prefixes": form_items(grid_prefixes),
        "departments": form_items(departments),
    }


def _page(
    request: Request,
    console: Console,
    viewer: Viewer,
    *,
    created_key: ApiKeyCreatedOut | None = None,
    error: str | None = None,
) -> Response:
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
def admin_page(request: Request, console: ConsoleDep, viewer: AdminViewer) -> Response:
    return _page(request, console, viewer)


@router.post("/users")
def create_user(
    request: Request,
    console: ConsoleDep,
    viewer: AdminPoster,
    *,
    username: Text,
    password: Text,
    role: Text,
    display_name: Text = "",
    grid_prefixes: Text = "",
    departments: Text = "",
) -> Response:
    fields = {"username": username, "display_name": display_name, "password": password}
    try:
        spec = UserIn.model_validate(fields | _grant(role, grid_prefixes, departments))
        console.context.auth.create_user(spec)
    except (ValidationError, ConflictError) as error:
        return _page(request, console, viewer, error=str(error))
    return RedirectResponse(BACK, status_code=303)


@router.post("/users/{user_id}")
def update_user(
    request: Request,
    console: ConsoleDep,
    viewer: AdminPoster,
    *,
    user_id: int,
    role: Text,
    grid_prefixes: Text = "",
    departments: Text = "",
    active: Text = "",
    password: Text = "",
) -> Response:
    """Role, scope, password (when one is typed) and the active flag of one user."""
    fields = {"active": active == "on", "password": password or None}
    try:
        patch = UserPatch.model_validate(fields | _grant(role, grid_prefixes, departments))
        console.context.auth.update_user(user_id, patch)
    except (ValidationError, ConflictError) as error:
        return _page(request, console, viewer, error=str(error))
    return RedirectResponse(BACK, status_code=303)


@router.post("/api-keys")
def create_api_key(
    request: Request,
    console: ConsoleDep,
    viewer: AdminPoster,
    *,
    name: Text,
    role: Text = Role.INTEGRATOR.value,
    grid_prefixes: Text = "",
    departments: Text = "",
) -> Response:
    """The new key is in this one response only (stored hashed), as in the API."""
    try:
        spec = ApiKeyIn.model_validate({"name": name} | _grant(role, grid_prefixes, departments))
    except ValidationError as error:
        return _page(request, console, viewer, error=str(error))
    created = console.context.auth.create_api_key(spec, created_by=viewer.principal.actor)
    return _page(request, console, viewer, created_key=created)


@router.post("/api-keys/{key_id}/revoke")
def revoke_api_key(console: ConsoleDep, _admin: AdminPoster, key_id: int) -> Response:
    console.context.auth.revoke_api_key(key_id)
    return RedirectResponse(BACK, status_code=303)
