"""Checking a GeoJSON grid: codes, hierarchy, polygon validity, containment, overlaps, gaps.

Every check runs and every problem is reported, so whoever fixes the file fixes it once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shapely import STRtree, union_all
from shapely.geometry import shape
from shapely.validation import explain_validity

from gridwatch_central.grid.cells import GridCell
from gridwatch_central.grid.codes import LEVELS, GridCodeScheme
from gridwatch_central.grid.report import (
    GridProblem,
    GridValidationReport,
    area_m2,
    inside_point,
    label,
    make_report,
)

# Share of a cell's area that may fall outside its parent, overlap a neighbour or be left
# uncovered before it is an error: digitised boundaries of neighbouring cells never agree to the
# last vertex, and 0.1% of a micro-grid (a few hundred m² at most) is far below anything that
# changes where an alert goes.
AREA_TOLERANCE = 1e-3
_POLYGONS = {"Polygon", "MultiPolygon"}


class _Properties(BaseModel):
    # Other properties (manager, phone, ...) are the grid office's business: kept, not checked.
    model_config = ConfigDict(extra="allow")

    code: str
    name: str = Field(min_length=1, max_length=200)
    level: Literal[1, 2, 3]
    parent_code: str | None = None


def validate_document(
    document: Any, scheme: GridCodeScheme
) -> tuple[list[GridCell], GridValidationReport]:
    """Parse and check a grid FeatureCollection; use the cells only if the report is valid."""
    cells, problems = parse_features(document)
    problems += check_cells(cells, scheme)
    return cells, make_report(cells, problems)


def parse_features(document: Any) -> tuple[list[GridCell], list[GridProblem]]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return [], [GridProblem(kind="document", message="expected a GeoJSON FeatureCollection")]
    features = document.get("features")
    if not isinstance(features, list) or not features:
        return [], [GridProblem(kind="document", message="the FeatureCollection has no features")]
    cells: list[GridCell] = []
    problems: list[GridProblem] = []
    for number, feature in enumerate(features, start=1):
        cell = _parse_feature(feature, number, problems)
        if cell is not None:
            cells.append(cell)
    return cells, problems


def _parse_feature(feature: Any, number: int, problems: list[GridProblem]) -> GridCell | None:
    try:
        properties = _Properties.model_validate(feature.get("properties"))
        source_geometry = feature["geometry"]
        geometry = shape(source_geometry)
    except (ValidationError, KeyError, AttributeError, TypeError, ValueError) as error:
        why = f"feature {number}: unusable properties or geometry: {error}"
        problems.append(GridProblem(kind="document", message=why, feature=number))
        return None
    extra = dict(properties.model_extra or {})
    return GridCell(
        code=properties.code,
        name=properties.name,
        level=properties.level,
        parent_code=properties.parent_code,
        geometry=geometry,
        source_geometry=source_geometry,
        extra=extra,
    )


def check_cells(cells: list[GridCell], scheme: GridCodeScheme) -> list[GridProblem]:
    problems = [p for cell in cells for p in _own_problems(cell, scheme)]
    for code, count in Counter(c.code for c in cells).items():
        if count > 1:
            why = f"code {code} is used by more than one feature"
            problems.append(GridProblem(kind="code", message=why, code=code))
    by_code = {cell.code: cell for cell in cells}
    sound = [c for c in cells if _usable(c)]
    problems += [p for cell in cells if (p := _parent_problem(cell, by_code, scheme)) is not None]
    for level in LEVELS:
        problems += _overlaps([c for c in sound if c.level == level])
    problems += _gaps(sound)
    return problems


def _usable(cell: GridCell) -> bool:
    return cell.geometry.geom_type in _POLYGONS and cell.geometry.is_valid


def _own_problems(cell: GridCell, scheme: GridCodeScheme) -> list[GridProblem]:
    problems: list[GridProblem] = []
    if (problem := scheme.problem(cell.code, cell.level)) is not None:
        why = f"{label(cell)}: {problem}"
        problems.append(GridProblem(kind="code", message=why, code=cell.code))
    if cell.geometry.geom_type not in _POLYGONS:
        why = f"{label(cell)}: geometry is a {cell.geometry.geom_type}, not a polygon"
        problems.append(GridProblem(kind="geometry", message=why, code=cell.code))
    elif (ring := _unclosed_ring(cell.source_geometry)) is not None:
        why = f"{label(cell)}: ring {ring} is not closed (its last position must repeat the first)"
        problems.append(GridProblem(kind="geometry", message=why, code=cell.code))
    elif not cell.geometry.is_valid:
        # explain_validity names the defect and where: "Self-intersection[108.405 30.225]".
        why = f"{label(cell)}: invalid polygon: {explain_validity(cell.geometry)}"
        problems.append(GridProblem(kind="geometry", message=why, code=cell.code))
    return problems


def _unclosed_ring(geometry: dict[str, Any]) -> int | None:
    """1-based number of the first ring whose ends differ (shapely would silently close it)."""
    coordinates = geometry.get("coordinates") or []
    polygons = coordinates if geometry.get("type") == "MultiPolygon" else [coordinates]
    rings = [ring for polygon in polygons for ring in polygon]
    for number, ring in enumerate(rings, start=1):
        if list(ring[0]) != list(ring[-1]):
            return number
    return None


def _parent_problem(
    cell: GridCell, by_code: dict[str, GridCell], scheme: GridCodeScheme
) -> GridProblem | None:
    parent = by_code.get(cell.parent_code or "")
    why = _hierarchy_problem(cell, parent, scheme)
    if why is not None:
        return GridProblem(kind="parent", message=f"{label(cell)}: {why}", code=cell.code)
    if parent is None or not (_usable(cell) and _usable(parent)):
        return None
    outside = cell.geometry.difference(parent.geometry)
    if outside.area <= AREA_TOLERANCE * cell.geometry.area:
        return None
    share = 100 * outside.area / cell.geometry.area
    why = (
        f"{share:.1f}% of its area ({area_m2(outside):,.0f} m²) lies outside parent {parent.code};"
        f" at most {100 * AREA_TOLERANCE:g}% is tolerated for digitising differences"
    )
    return GridProblem(
        kind="outside_parent",
        message=f"{label(cell)}: {why}",
        code=cell.code,
        other_code=parent.code,
        area_m2=area_m2(outside),
        point=inside_point(outside),
    )


def _hierarchy_problem(
    cell: GridCell, parent: GridCell | None, scheme: GridCodeScheme
) -> str | None:
    if cell.level == 1:
        return None if cell.parent_code is None else "level-1 cells have no parent_code"
    if parent is None:
        return f"parent_code {cell.parent_code!r} is not a cell of this grid"
    if parent.level != cell.level - 1:
        return f"parent {parent.code} is level {parent.level}, not {cell.level - 1}"
    prefix = scheme.parent_prefix(parent.code, cell.level)
    if scheme.parent_prefix(cell.code, cell.level) != prefix:
        return f"code does not start with its parent's prefix {prefix}"
    return None


def _overlaps(cells: list[GridCell]) -> list[GridProblem]:
    tree = STRtree([cell.geometry for cell in cells])
    problems: list[GridProblem] = []
    for i, cell in enumerate(cells):
        for j in sorted(int(j) for j in tree.query(cell.geometry, predicate="intersects")):
            other = cells[j]
            if j <= i:
                continue
            shared = cell.geometry.intersection(other.geometry)
            if shared.area <= AREA_TOLERANCE * min(cell.geometry.area, other.geometry.area):
                continue
            why = f"{label(cell)} overlaps {label(other)} by {area_m2(shared):,.0f} m²"
            problems.append(
                GridProblem(
                    kind="overlap",
                    message=why,
                    code=cell.code,
                    other_code=other.code,
                    area_m2=area_m2(shared),
                    point=inside_point(shared),
                )
            )
    return problems


def _gaps(cells: list[GridCell]) -> list[GridProblem]:
    """Parts of a parent that none of its children cover (网格全覆盖: no area left unowned)."""
    children: dict[str, list[GridCell]] = {}
    for cell in cells:
        children.setdefault(cell.parent_code or "", []).append(cell)
    levels_present = {cell.level for cell in cells}
    problems: list[GridProblem] = []
    for parent in cells:
        if parent.level + 1 not in levels_present:
            continue  # a grid that stops at this level has no children to cover it
        kids = children.get(parent.code, [])
        uncovered = parent.geometry.difference(union_all([k.geometry for k in kids]))
        pieces = getattr(uncovered, "geoms", [uncovered])
        for piece in pieces:
            if piece.is_empty or piece.area <= AREA_TOLERANCE * parent.geometry.area:
                continue
            where = inside_point(piece)
            at = f", e.g. at {where.lat}, {where.lon}" if where else ""
            share = 100 * piece.area / parent.geometry.area
            why = (
                f"{label(parent)}: {share:.1f}% of its area ({area_m2(piece):,.0f} m²) is covered"
                f" by none of its level-{parent.level + 1} cells{at}"
            )
            problems.append(
                GridProblem(
                    kind="gap",
                    message=why,
                    code=parent.code,
                    area_m2=area_m2(piece),
                    point=where,
                )
            )
    return problems
