"""The browser libraries the console serves, from the folder ``npm ci`` filled at install time.

Why npm: htmx, Leaflet and ECharts are published there by their authors, pinned with integrity
hashes in the committed ``vendor/package-lock.json``; ``npm ci`` (scripts/setup.sh, the central
Dockerfile) installs exactly those bytes, and central serves them itself, so a console never
loads anything from the internet. Only the files below are served, nothing else of
node_modules.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

VENDOR_PACKAGE_DIR = Path(__file__).parent / "vendor"

# URL name under /console/vendor/ → file inside node_modules.
VENDOR_FILES = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet.css": "leaflet/dist/leaflet.css",
    "echarts.min.js": "echarts/dist/echarts.min.js",
    # leaflet.css refers to its images relative to itself.
    "images/layers.png": "leaflet/dist/images/layers.png",
    "images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class VendorAssets:
    def __init__(self, node_modules: Path) -> None:
        self.root = node_modules
        self.missing = sorted(name for name, path in VENDOR_FILES.items() if not self._file(path))
        if self.missing:
            log.warning(
                "console: browser libraries missing under %s (%s): run 'npm ci' in %s;"
                " the console shows an explanation instead of its pages until then",
                node_modules,
                ", ".join(self.missing),
                node_modules.parent,
            )

    @classmethod
    def locate(cls, configured: Path | None) -> VendorAssets:
        return cls(configured or VENDOR_PACKAGE_DIR / "node_modules")

    @property
    def complete(self) -> bool:
        return not self.missing

    def path(self, name: str) -> Path | None:
        """The file served as ``/console/vendor/<name>``, or None for any other name."""
        relative = VENDOR_FILES.get(name)
        return self._file(relative) if relative is not None else None

    def _file(self, relative: str) -> Path | None:
        path = self.root / relative
        return path if path.is_file() else None
