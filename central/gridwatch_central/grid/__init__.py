"""The 3-level administrative grid (网格): codes, validation, storage and point location."""

from gridwatch_central.grid.cells import GridAssignment, GridCell, GridError, GridRef
from gridwatch_central.grid.codes import GridCodeScheme
from gridwatch_central.grid.index import GridIndex
from gridwatch_central.grid.loader import load_grid
from gridwatch_central.grid.report import GridProblem, GridValidationReport

__all__ = [
    "GridAssignment",
    "GridCell",
    "GridCodeScheme",
    "GridError",
    "GridIndex",
    "GridProblem",
    "GridRef",
    "GridValidationReport",
    "load_grid",
]
