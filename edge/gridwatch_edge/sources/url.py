"""Which source addresses the edge accepts; everything else is refused before FFmpeg sees it.

FFmpeg would happily open http://, file:, concat: or pipe: addresses given by a config file;
only RTSP cameras and plain local files are legitimate inputs for this box.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from gridwatch_contract.broker import redact_url
from gridwatch_edge.errors import SourceError

LIVE_SCHEMES = frozenset({"rtsp", "rtsps"})


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
