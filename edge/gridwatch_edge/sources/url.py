"""Which source addresses the edge accepts; everything else is refused before FFmpeg sees it.

FFmpeg would happily open http://, file:, concat: or pipe: addresses given by a config file;
only RTSP cameras and plain local files are legitimate inputs for this box.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from gridwatch_contract.broker import redact_url
from gridwatch_contract.camera.url_policy import UrlPolicy, UrlPolicyError, check_resolved
from gridwatch_edge.errors import SourceError

LIVE_SCHEMES = frozenset({"rtsp", "rtsps"})
RTSP_PORT = 554


class SourceKind(StrEnum):
    LIVE = "live"
    FILE = "file"


def is_network_source(url: str) -> bool:
    """True for a camera on the network (rtsp://, rtsps://), False for anything else."""
    return urlsplit(url).scheme.lower() in LIVE_SCHEMES


def check_source_url(url: str) -> SourceKind:
    """Classify ``url`` or raise ``SourceError`` (whose text never holds credentials)."""
    safe = redact_url(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if is_network_source(url):
        if not parts.hostname:
            raise SourceError(f"source {safe!r} has no host")
        return SourceKind.LIVE
    # A one-letter "scheme" is a Windows drive letter, i.e. a plain path.
    if len(scheme) > 1:
        raise SourceError(
            f"source {safe!r} uses the unsupported scheme {scheme!r}; use rtsp://, rtsps:// or"
            " a local file path"
        )
    if not Path(url).is_file():
        raise SourceError(f"video file {safe} does not exist")
    return SourceKind.FILE


UrlGuard = Callable[[str], str]
"""Given a camera URL right before a connection: the URL to connect to, or ``SourceError``."""


def policy_guard(policy: UrlPolicy) -> UrlGuard:
    """Resolve the host now, check every address against ``policy`` and connect to the
    checked address itself (rtsp://), so that a DNS answer changing between the check and
    FFmpeg's own lookup (rebinding) cannot send the box elsewhere. rtsps:// keeps the name,
    which its TLS handshake needs; the check still refuses a name that resolves inside."""

    def guard(url: str) -> str:
        if not is_network_source(url):
            return url  # a file, which only allow_file_sources_from_central lets through
        parts = urlsplit(url)
        host = parts.hostname
        if not host:
            raise SourceError(f"source {redact_url(url)!r} has no host")
        try:
            address = check_resolved(host, parts.port or RTSP_PORT, policy)
        except UrlPolicyError as error:
            raise SourceError(f"camera address refused: {error}") from None
        if parts.scheme.lower() != "rtsp":
            return url
        literal = f"[{address}]" if address.version == 6 else str(address)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = literal if parts.port is None else f"{literal}:{parts.port}"
        if userinfo:
            netloc = f"{userinfo}@{netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    return guard
