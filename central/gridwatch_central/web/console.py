"""Mounting the console on central's FastAPI app: routes, static files, errors, headers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridwatch_central.services.incident_feed import IncidentFeed
from gridwatch_central.web.assets import MEDIA_TYPES, VendorAssets
from gridwatch_central.web.deps import Console, ConsoleContext
from gridwatch_central.web.pages import (
    admin,
    auth,
    camera_config,
    camera_forms,
    camera_import,
    cases,
    clips,
    edge_registry,
    edges,
    live,
    map,
    queue,
    sensors,
    stats,
)
from gridwatch_central.web.render import Renderer, content_security_policy
from gridwatch_central.web.session import (
    CsrfError,
    LoginRequiredError,
    NotAllowedError,
    language_of,
)

STATIC_DIR = Path(__file__).parent / "static"
CONSOLE_PREFIX = "/console"
# Routes taking a photo (multipart) live under here: the body limit is larger for them.
UPLOAD_PREFIX = f"{CONSOLE_PREFIX}/upload/"


def mount_console(app: FastAPI, context: ConsoleContext) -> None:
    settings = context.config.console
    assets = VendorAssets.locate(settings.vendor_dir)
    console = Console(
        context=context,
        renderer=Renderer(
            ZoneInfo(context.config.timezone),
            missing_assets=None if assets.complete else str(assets.root.parent),
        ),
        feed=IncidentFeed(context.sessions, interval_s=settings.live_poll_s),
        assets=assets,
    )
    app.state.console = console
    app.mount(f"{CONSOLE_PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.add_api_route(
        f"{CONSOLE_PREFIX}/vendor/{{name:path}}", _vendor_file, include_in_schema=False
    )
    pages = (auth, queue, live, cases, clips, map, stats, admin, edges, sensors)
    for module in (*pages, edge_registry, camera_forms, camera_config, camera_import):
        app.include_router(module.router, include_in_schema=False)
    app.add_exception_handler(LoginRequiredError, _login_required)
    app.add_exception_handler(CsrfError, _refused)
    app.add_exception_handler(NotAllowedError, _refused)
    tile_origin = _origin(settings.tile_url)
    app.add_middleware(ConsoleHeaders, policy=content_security_policy(tile_origin))


def _origin(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}"


def _vendor_file(request: Request, name: str) -> Response:
    console: Console = request.app.state.console
    path = console.assets.path(name)
    if path is None:
        return Response(status_code=404)
    # Pinned by package-lock.json: a file changes only with a new install.
    headers = {"Cache-Control": "public, max-age=86400"}
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)


async def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequiredError)
    target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    login = f"{CONSOLE_PREFIX}/login?next={target}"
    if request.method != "GET" or request.headers.get("hx-request") or _wants_json(request):
        # Scripts (htmx, the queue's fetch, EventSource) follow HX-Redirect / reload instead.
        return JSONResponse(
            {"ok": False, "detail": "login required", "login": login},
            status_code=401,
            headers={"HX-Redirect": login},
        )
    return RedirectResponse(login, status_code=303)


def _wants_json(request: Request) -> bool:
    """The queue's fetch calls ask for JSON, EventSource for a stream; pages for anything."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/event-stream" in accept


async def _refused(request: Request, error: Exception) -> Response:
    """403 as a page: a post from elsewhere (CSRF), or a page the role may not open."""
    console: Console = request.app.state.console
    key = "error.csrf" if isinstance(error, CsrfError) else "error.forbidden"
    html = console.renderer.render(
        "error.html", language_of(request), viewer=None, path="", message_key=key
    )
    return HTMLResponse(html, status_code=403)


class ConsoleHeaders:
    """Security headers on every console page and file (the API's JSON is left alone)."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self._app = app
        self._headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/" or path.startswith(CONSOLE_PREFIX)):
            await self._app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self._headers]
            await send(message)

        await self._app(scope, receive, with_headers)
