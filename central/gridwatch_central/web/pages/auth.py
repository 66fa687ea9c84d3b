"""Logging in and out, the language switch, and where ``/`` leads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gridwatch_central.auth.scope import Role
from gridwatch_central.auth.throttle import LoginLockedError
from gridwatch_central.auth.tokens import InvalidCredentialsError
from gridwatch_central.web.deps import ConsoleDep, PosterDep
from gridwatch_central.web.i18n import parse_language
from gridwatch_central.web.session import (
    LoginRequiredError,
    current_viewer,
    end_session,
    remember_language,
    same_origin,
    start_session,
)

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a console path: a login link must not send anyone to another site."""
    if target and target.startswith("/console/") and not target.startswith("/console//"):
        return target
    return "/console/"


def see_other(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return see_other("/console/")


@router.get("/console", include_in_schema=False)
@router.get("/console/", include_in_schema=False)
def home(request: Request, console: ConsoleDep) -> RedirectResponse:
    """The screen each role starts from: operators the queue, integrators (who install
    cameras) the edges and cameras, the others the case board."""
    viewer = current_viewer(request, console.context)
    first = "queue" if viewer.role in {Role.OPERATOR, Role.ADMIN} else "cases"
    if viewer.role is Role.INTEGRATOR:
        first = "edges"
    return see_other(f"/console/{first}")


@router.get("/console/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, console: ConsoleDep, next: str | None = None) -> Response:
    try:
        current_viewer(request, console.context)
        return see_other(safe_next(next))
    except LoginRequiredError as missing:
        expired = missing.expired
    return console.renderer.page(
        request,
        None,
        "login.html",
        next=safe_next(next),
        failed=False,
        locked=False,
        expired=expired,
    )


@router.post("/console/login", include_in_schema=False)
def login(
    request: Request,
    console: ConsoleDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/console/",
) -> Response:
    if not same_origin(request):  # a login form posted from another site
        return see_other("/console/login")
    address = request.client.host if request.client is not None else None
    try:
        token = console.context.auth.login(username, password, address)
    except (InvalidCredentialsError, LoginLockedError) as error:
        locked = isinstance(error, LoginLockedError)
        page = console.renderer.page(
            request,
            None,
            "login.html",
            next=safe_next(next),
            failed=not locked,
            locked=locked,
            expired=False,
        )
        page.status_code = 429 if locked else 401
        if isinstance(error, LoginLockedError):
            page.headers["Retry-After"] = str(error.retry_after_s)
        return page
    response = see_other(safe_next(next))
    ttl = int(console.context.config.auth.token_ttl_minutes * 60)
    secure = console.context.config.console.secure_cookie
    start_session(response, token.access_token, max_age_s=ttl, secure=secure)
    return response


@router.post("/console/logout", include_in_schema=False)
def logout(_viewer: PosterDep) -> Response:
    response = see_other("/console/login")
    end_session(response)
    return response


@router.get("/console/language/{code}", include_in_schema=False)
def switch_language(code: str, next: str | None = None) -> Response:
    response = see_other(safe_next(next))
    remember_language(response, parse_language(code))
    return response
