"""The 3-level administrative grid (网格): loading, validation and point location."""

from gridwatch_central.grid.cells import GridAssignment, GridCell, GridError, GridRef
from gridwatch_central.grid.index import GridIndex
from gridwatch_central.grid.loader import load_grid

__all__ = ["GridAssignment", "GridCell", "GridError", "GridIndex", "GridRef", "load_grid"]
