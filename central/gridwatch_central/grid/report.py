"""The typed validation report of a grid: every problem, with where and how large it is."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field

from gridwatch_central.grid.cells import GridCell

ProblemKind = Literal[
    "document",  # not a FeatureCollection, unreadable feature, empty
    "code",  # malformed code, duplicate code
    "parent",  # missing/wrong parent, code not under the parent's prefix
    "geometry",  # not a polygon, not closed, self-intersecting
    "outside_parent",  # part of a cell lies outside its parent
    "overlap",  # two cells of one level share area
    "gap",  # part of a parent is covered by none of its children
]

# Metres per degree of latitude on the WGS-84 ellipsoid's mean radius; areas are reported in m²
# because nobody at a grid office reasons in square degrees.
METRES_PER_DEGREE = 111_195.0


class PointOut(BaseModel):
    lat: float
    lon: float


class GridProblem(BaseModel):
    kind: ProblemKind
    message: str = Field(description="The whole problem in one sentence, for a human")
    code: str | None = Field(default=None, description="The cell at fault, when there is one")
    other_code: str | None = Field(default=None, description="The other cell of an overlap")
    feature: int | None = Field(default=None, description="1-based feature number in the file")
    area_m2: float | None = Field(default=None, description="Size of the offending area")
    point: PointOut | None = Field(default=None, description="A point inside the offending area")


class GridValidationReport(BaseModel):
    valid: bool
    cells_by_level: dict[int, int] = Field(description="Number of usable cells at each level")
    problems: list[GridProblem]

    def messages(self) -> list[str]:
        return [problem.message for problem in self.problems]


def make_report(cells: list[GridCell], problems: list[GridProblem]) -> GridValidationReport:
    counts = {level: sum(1 for c in cells if c.level == level) for level in (1, 2, 3)}
    return GridValidationReport(valid=not problems, cells_by_level=counts, problems=problems)


def area_m2(geometry: Any) -> float:
    """Approximate area in m² of a small WGS-84 geometry (equirectangular at its centroid)."""
    if geometry.is_empty:
        return 0.0
    scale = METRES_PER_DEGREE**2 * math.cos(math.radians(geometry.centroid.y))
    return float(round(geometry.area * scale, 1))


def inside_point(geometry: Any) -> PointOut | None:
    if geometry.is_empty:
        return None
    point = geometry.representative_point()
    return PointOut(lat=round(point.y, 7), lon=round(point.x, 7))


def label(cell: GridCell) -> str:
    return f"{cell.code} ({cell.name})"
