"""Point-in-grid lookup with one shapely STRtree per level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shapely import STRtree
from shapely.geometry import Point

from gridwatch_central.grid.cells import GridAssignment, GridCell, GridRef
from gridwatch_central.grid.codes import LEVELS, GridCodeScheme
from gridwatch_central.grid.loader import load_grid

# Points remembered by ``locate``. Alerts come from fixed cameras, and most carry their camera's
# position, so a few thousand points cover a large deployment; a full cache is simply cleared.
LOCATE_CACHE_SIZE = 4096


class GridIndex:
    """An immutable snapshot of the grid; replaced whole, never changed, when a grid is imported."""

    def __init__(self, cells: list[GridCell], name: str | None = None) -> None:
        self.name = name
        # Safe to cache: the index never changes, and a new grid comes with a new index.
        self._located: dict[tuple[float, float], GridAssignment | None] = {}
        self._by_code = {cell.code: cell for cell in cells}
        self._levels = {level: [c for c in cells if c.level == level] for level in LEVELS}
        self._trees = {
            level: STRtree([c.geometry for c in members]) for level, members in self._levels.items()
        }

    @classmethod
    def from_file(cls, path: Path | str, scheme: GridCodeScheme | None = None) -> GridIndex:
        return cls(load_grid(path, scheme))

    @property
    def cells(self) -> list[GridCell]:
        return list(self._by_code.values())

    def get(self, code: str) -> GridCell | None:
        return self._by_code.get(code)

    def locate(self, lat: float, lon: float) -> GridAssignment | None:
        """The cells containing a WGS-84 point at each level, or None outside the grid."""
        key = (lat, lon)
        try:
            return self._located[key]
        except KeyError:
            pass
        if len(self._located) >= LOCATE_CACHE_SIZE:
            self._located.clear()
        found = self._located[key] = self._lookup(lat, lon)
        return found

    def _lookup(self, lat: float, lon: float) -> GridAssignment | None:
        point = Point(lon, lat)
        # The deepest cell decides; its ancestors follow from parent_code, so that a point on a
        # shared boundary never gets a micro-grid of one community and the other community.
        for level in reversed(LEVELS):
            hits = self._trees[level].query(point, predicate="intersects")
            if len(hits):
                deepest = min((self._levels[level][int(i)] for i in hits), key=lambda c: c.code)
                return self.assignment(deepest)
        return None

    def intersecting(self, geometry: Any, level: int) -> list[GridCell]:
        """Cells of ``level`` that share area or boundary with ``geometry``, by code."""
        hits = self._trees[level].query(geometry, predicate="intersects")
        return sorted((self._levels[level][int(i)] for i in hits), key=lambda c: c.code)

    def assignment(self, cell: GridCell) -> GridAssignment:
        refs: dict[int, GridRef] = {}
        current: GridCell | None = cell
        while current is not None:
            refs[current.level] = GridRef(code=current.code, name=current.name)
            current = self._by_code.get(current.parent_code or "")
        return GridAssignment(level1=refs.get(1), level2=refs.get(2), level3=refs.get(3))
