"""Reading a GeoJSON FeatureCollection of grid cells and checking it is a sound hierarchy."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely import STRtree
from shapely.geometry import shape
from shapely.validation import explain_validity

from gridwatch_central.grid.cells import LEVELS, GridCell, GridError, code_problem, parent_prefix

# Share of a cell's area that may fall outside its parent or overlap a neighbour before it is
# an error: digitised boundaries of neighbouring cells never agree to the last vertex, and 0.1%
# of a micro-grid (~a few hundred m²) is far below anything that changes where an alert goes.
AREA_TOLERANCE = 1e-3


class _Properties(BaseModel):
    # Other properties (manager, phone, ...) are the grid office's business; keep ours strict.
    model_config = ConfigDict(extra="ignore")

    code: str
    name: str = Field(min_length=1)
    level: Literal[1, 2, 3]
    parent_code: str | None = None


def load_grid(path: Path | str) -> list[GridCell]:
    """Load and validate a grid file, raising ``GridError`` listing every problem found."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise GridError(str(path), [f"cannot read grid file: {error.strerror or error}"]) from None
    except json.JSONDecodeError as error:
        raise GridError(str(path), [f"not valid JSON: {error}"]) from None
    cells, problems = parse_features(document)
    problems += validate_cells(cells)
    if problems:
        raise GridError(str(path), problems)
    return cells


def parse_features(document: Any) -> tuple[list[GridCell], list[str]]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return [], ["expected a GeoJSON FeatureCollection"]
    cells: list[GridCell] = []
    problems: list[str] = []
    for number, feature in enumerate(document.get("features") or [], start=1):
        try:
            properties = _Properties.model_validate(feature.get("properties"))
            geometry = shape(feature["geometry"])
        except (ValidationError, KeyError, AttributeError, TypeError, ValueError) as error:
            problems.append(f"feature {number}: unusable properties or geometry: {error}")
            continue
        cells.append(GridCell(geometry=geometry, **properties.model_dump()))
    if not cells and not problems:
        problems.append("the FeatureCollection has no features")
    return cells, problems


def validate_cells(cells: list[GridCell]) -> list[str]:
    problems = [p for cell in cells for p in _own_problems(cell)]
    duplicates = [code for code, n in Counter(c.code for c in cells).items() if n > 1]
    problems += [f"code {code} is used by more than one feature" for code in duplicates]
    by_code = {cell.code: cell for cell in cells}
    problems += [p for cell in cells if (p := _parent_problem(cell, by_code)) is not None]
    for level in LEVELS:
        problems += _overlaps([c for c in cells if c.level == level and c.geometry.is_valid])
    return problems


def _own_problems(cell: GridCell) -> list[str]:
    problems: list[str] = []
    if (problem := code_problem(cell.code, cell.level)) is not None:
        problems.append(f"{cell.code} ({cell.name}): {problem}")
    if cell.geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        problems.append(f"{cell.code} ({cell.name}): geometry is a {cell.geometry.geom_type}")
    elif not cell.geometry.is_valid:
        why = explain_validity(cell.geometry)
        problems.append(f"{cell.code} ({cell.name}): invalid polygon: {why}")
    return problems


def _parent_problem(cell: GridCell, by_code: dict[str, GridCell]) -> str | None:
    label = f"{cell.code} ({cell.name})"
    if cell.level == 1:
        return None if cell.parent_code is None else f"{label}: level-1 cells have no parent_code"
    parent = by_code.get(cell.parent_code or "")
    if parent is None:
        return f"{label}: parent_code {cell.parent_code!r} is not a cell of this grid"
    if parent.level != cell.level - 1:
        return f"{label}: parent {parent.code} is level {parent.level}, not {cell.level - 1}"
    prefix = parent_prefix(parent.code, cell.level)
    if parent_prefix(cell.code, cell.level) != prefix:
        return f"{label}: code does not start with its parent's prefix {prefix}"
    if cell.geometry.is_valid and parent.geometry.is_valid:
        outside = cell.geometry.difference(parent.geometry).area
        if outside > AREA_TOLERANCE * cell.geometry.area:
            share = 100 * outside / cell.geometry.area
            return f"{label}: {share:.1f}% of its area lies outside parent {parent.code}"
    return None


def _overlaps(cells: list[GridCell]) -> list[str]:
    tree = STRtree([cell.geometry for cell in cells])
    problems: list[str] = []
    for i, cell in enumerate(cells):
        for j in tree.query(cell.geometry, predicate="intersects"):
            other = cells[int(j)]
            if int(j) <= i:
                continue
            shared = cell.geometry.intersection(other.geometry).area
            if shared > AREA_TOLERANCE * min(cell.geometry.area, other.geometry.area):
                problems.append(f"{cell.code} ({cell.name}) overlaps {other.code} ({other.name})")
    return problems
