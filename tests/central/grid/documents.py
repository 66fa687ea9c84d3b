"""Grid GeoJSON documents for tests, read fresh so each test may change its copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.central.helpers import EXAMPLE_GRID


def grid_document(path: Path = EXAMPLE_GRID) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def grid_feature(document: dict[str, Any], code: str) -> dict[str, Any]:
    feature: dict[str, Any] = next(
        f for f in document["features"] if f["properties"]["code"] == code
    )
    return feature
