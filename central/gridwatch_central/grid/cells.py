"""Typed grid cells, references to them and where a point lies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class GridError(ValueError):
    """A grid that cannot be used; ``problems`` lists every defect found, not just one."""

    def __init__(self, source: str, problems: list[str]) -> None:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source}: {len(problems)} grid problem(s):\n{listing}")
        self.source = source
        self.problems = problems


@dataclass(frozen=True, slots=True)
class GridCell:
    code: str
    name: str
    level: int
    parent_code: str | None
    # shapely Polygon/MultiPolygon in WGS-84 (x = lon, y = lat); shapely ships no types.
    geometry: Any
    # The GeoJSON geometry exactly as imported, and the feature's other properties (manager,
    # phone, ...): kept so that an export gives back what was imported.
    source_geometry: dict[str, Any] = field(default_factory=dict, compare=False)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class GridRef:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class GridAssignment:
    """Where a point lies at each level; a level is None where the grid has a gap."""

    level1: GridRef | None
    level2: GridRef | None
    level3: GridRef | None

    @property
    def codes(self) -> tuple[str | None, str | None, str | None]:
        cells = (self.level1, self.level2, self.level3)
        return (
            cells[0].code if cells[0] else None,
            cells[1].code if cells[1] else None,
            cells[2].code if cells[2] else None,
        )
