"""Reading a grid GeoJSON file and checking it is a sound hierarchy."""

from __future__ import annotations

import json
from pathlib import Path

from gridwatch_central.grid.cells import GridCell, GridError
from gridwatch_central.grid.codes import GridCodeScheme
from gridwatch_central.grid.validation import validate_document


def read_grid_document(path: Path | str) -> tuple[object, bytes]:
    """The parsed document and its raw bytes; ``GridError`` if unreadable or not JSON."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise GridError(str(path), [f"cannot read grid file: {error.strerror or error}"]) from None
    try:
        return json.loads(raw.decode("utf-8")), raw
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GridError(str(path), [f"not valid JSON: {error}"]) from None


def load_grid(path: Path | str, scheme: GridCodeScheme | None = None) -> list[GridCell]:
    """Load and validate a grid file, raising ``GridError`` listing every problem found."""
    document, _raw = read_grid_document(path)
    cells, report = validate_document(document, scheme or GridCodeScheme())
    if not report.valid:
        raise GridError(str(path), report.messages())
    return cells
