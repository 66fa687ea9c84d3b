"""Who is using the console: the API's JWT in an HttpOnly cookie, and CSRF protection.

The cookie carries the same token ``POST /api/v1/auth/login`` returns, so role, scope and
expiry work exactly as for the API. It is HttpOnly (no script can read it) and SameSite=Strict
(no other site's page can make the browser send it). Every console POST also proves it comes
from a console page: the Origin (or Referer) must be this host, and a token derived from the
session must come with it (``X-CSRF-Token`` header or ``csrf`` form field).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from fastapi import Request, Response

from gridwatch_central.auth.scope import Principal, Role, Scope
from gridwatch_central.auth.service import AuthService
from gridwatch_central.auth.tokens import InvalidCredentialsError
from gridwatch_central.cases.actor import Actor, actor_of
from gridwatch_central.web.i18n import Language, parse_language

SESSION_COOKIE = "gw_session"
LANGUAGE_COOKIE = "gw_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
# Who the console is when authentication is switched off (closed lab networks only).
LAB_ADMIN = Principal("user", 0, "anonymous", Role.ADMIN, Scope.everything())


class LoginRequiredError(Exception):
    """No valid session: pages redirect to the login page, fragments tell htmx to."""

    def __init__(self, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfError(Exception):
    """A POST that does not come from a console page."""


class NotAllowedError(Exception):
    """The viewer's role may not open this page (the admin pages for everyone else)."""


class SessionAuth(Protocol):
    @property
    def auth(self) -> AuthService: ...

    @property
    def auth_enabled(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in person as every console page sees them."""

    principal: Principal
    csrf: str
    language: Language

    @property
    def actor(self) -> Actor:
        return actor_of(self.principal)

    @property
    def scope(self) -> Scope:
        return self.principal.scope

    @property
    def role(self) -> Role:
        return self.principal.role


def csrf_token(session_token: str) -> str:
    """Bound to the session: a page of another session (or none) cannot post for this one."""
    return hashlib.sha256(b"gridwatch-console-csrf:" + session_token.encode()).hexdigest()[:32]


def language_of(request: Request) -> Language:
    return parse_language(request.cookies.get(LANGUAGE_COOKIE))


def current_viewer(request: Request, context: SessionAuth) -> Viewer:
    """The viewer of this request; raises ``LoginRequiredError`` without a valid session."""
    language = language_of(request)
    if not context.auth_enabled:
        return Viewer(LAB_ADMIN, csrf_token("lab"), language)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequiredError(expired=False)
    try:
        principal = context.auth.principal_from_token(token)
    except InvalidCredentialsError:
        raise LoginRequiredError(expired=True) from None
    return Viewer(principal, csrf_token(token), language)


def same_origin(request: Request) -> bool:
    """The Origin (else Referer) header names this host; a browser sends one with every POST."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    found = urlsplit(source)
    return found.netloc == request.headers.get("host", request.url.netloc)


async def check_csrf(request: Request, viewer: Viewer) -> None:
    if not same_origin(request):
        raise CsrfError("the request does not come from this console")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None or not hmac.compare_digest(sent, viewer.csrf):
        raise CsrfError("missing or wrong CSRF token")


def start_session(response: Response, token: str, *, max_age_s: int, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age_s,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def remember_language(response: Response, language: Language) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE, language.value, max_age=365 * 86400, samesite="strict", path="/"
    )
