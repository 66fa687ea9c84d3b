"""Pages from Jinja2 templates, with the viewer's language, local times and the domain's names."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gridwatch_central.web.i18n import Language, translate
from gridwatch_central.web.session import Viewer, language_of

CLIP_POLL_S = 5


def content_security_policy(tile_origin: str | None) -> str:
    """No inline script anywhere: every script is a file served by central, so an injected
    <script> cannot run. Styles may be inline (Leaflet and ECharts position their elements
    with style attributes). Evidence clips play from central itself (media-src)."""
    images = "'self' data: blob:" + (f" {tile_origin}" if tile_origin else "")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; media-src 'self'; connect-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class Renderer:
    def __init__(self, timezone: ZoneInfo, *, missing_assets: str | None) -> None:
        self.timezone = timezone
        self._env = Environment(
            loader=PackageLoader("gridwatch_central.web", "templates"),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["local"] = self.local_time
        self._env.filters["percent"] = percent
        self._env.filters["duration"] = duration
        # A case page's pending clip asks again this often: an edge delivers a clip some
        # seconds after post_s; a person should not wait long for it, nor the page poll busily.
        self._env.globals["clip_poll_s"] = CLIP_POLL_S
        # Every page explains it when the browser libraries were never installed.
        self._env.globals["assets_missing"] = missing_assets

    def local_time(self, value: datetime | None, pattern: str = "%m-%d %H:%M") -> str:
        return value.astimezone(self.timezone).strftime(pattern) if value is not None else "—"

    def render(self, template: str, language: Language, **values: Any) -> str:
        def t(key: str, **fields: object) -> str:
            return translate(key, language, **fields)

        return self._env.get_template(template).render(t=t, language=language.value, **values)

    def page(
        self,
        request: Request,
        viewer: Viewer | None,
        template: str,
        *,
        status_code: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        language = viewer.language if viewer is not None else language_of(request)
        html = self.render(template, language, viewer=viewer, path=request.url.path, **values)
        return HTMLResponse(html, status_code=status_code)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None) -> str:
    """``1:05`` (hours:minutes); a report shows minutes, not fractions of seconds."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"
