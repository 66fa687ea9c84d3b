"""Point-in-grid lookup with one shapely STRtree per level."""

from __future__ import annotations

from pathlib import Path

from shapely import STRtree
from shapely.geometry import Point

from gridwatch_central.grid.cells import LEVELS, GridAssignment, GridCell, GridRef
from gridwatch_central.grid.loader import load_grid


class GridIndex:
    def __init__(self, cells: list[GridCell]) -> None:
        self._by_code = {cell.code: cell for cell in cells}
        self._levels = {level: [c for c in cells if c.level == level] for level in LEVELS}
        self._trees = {
            level: STRtree([c.geometry for c in members]) for level, members in self._levels.items()
        }

    @classmethod
    def from_file(cls, path: Path | str) -> GridIndex:
        return cls(load_grid(path))

    @property
    def cells(self) -> list[GridCell]:
        return list(self._by_code.values())

    def locate(self, lat: float, lon: float) -> GridAssignment | None:
        """The cells containing a WGS-84 point at each level, or None outside the grid."""
        point = Point(lon, lat)
        # The deepest cell decides; its ancestors follow from parent_code, so that a point on a
        # shared boundary never gets a micro-grid of one community and the other community.
        for level in reversed(LEVELS):
            hits = self._trees[level].query(point, predicate="intersects")
            if len(hits):
                deepest = min((self._levels[level][int(i)] for i in hits), key=lambda c: c.code)
                return self._assignment(deepest)
        return None

    def _assignment(self, cell: GridCell) -> GridAssignment:
        refs: dict[int, GridRef] = {}
        current: GridCell | None = cell
        while current is not None:
            refs[current.level] = GridRef(code=current.code, name=current.name)
            current = self._by_code.get(current.parent_code or "")
        return GridAssignment(level1=refs.get(1), level2=refs.get(2), level3=refs.get(3))
