"""Typed grid cells and the 15-character grid code scheme.

A code is 6 digits of district (区县 administrative code) + 3 of street/town + 3 of community
+ 3 of micro-grid serial; a cell fills only the segments of its level and zeroes the rest:
level 1 ``DDDDDDSSS000000``, level 2 ``DDDDDDSSSCCC000``, level 3 ``DDDDDDSSSCCCNNN``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_CODE = re.compile(r"^\d{15}$")
# Characters of a code that are significant at each level; the rest must be zeros.
SIGNIFICANT_DIGITS = {1: 9, 2: 12, 3: 15}
LEVELS = (1, 2, 3)
# (name, end) of the segment each level adds; a cell's own and its ancestors' must be non-zero.
SEGMENTS = (("street", 9), ("community", 12), ("micro-grid", 15))


class GridError(ValueError):
    """A grid file that cannot be used; ``problems`` lists every defect found, not just one."""

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


def code_problem(code: str, level: int) -> str | None:
    """Why ``code`` is not a valid code of ``level``, or None if it is."""
    if not _CODE.match(code):
        return f"code {code!r} must be exactly 15 digits"
    significant = SIGNIFICANT_DIGITS[level]
    if code[significant:].strip("0"):
        return f"level-{level} code {code} must end in {15 - significant} zeros"
    for name, end in SEGMENTS[:level]:
        if code[end - 3 : end] == "000":
            return (
                f"level-{level} code {code} has 000 as its {name} segment (digits {end - 2}-{end})"
            )
    return None


def parent_prefix(code: str, level: int) -> str:
    """The digits a child of ``level`` shares with its parent (one level up)."""
    return code[: SIGNIFICANT_DIGITS[level - 1]]
