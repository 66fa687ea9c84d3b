"""What part of the records a caller may see: grids and/or departments.

``None`` in a field means no restriction by it. A row is visible when it lies in one of the
grid codes (at any level) or belongs to one of the departments. The access layer builds it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    grid_codes: frozenset[str] | None = None
    department_codes: frozenset[str] | None = None

    @property
    def unrestricted(self) -> bool:
        return self.grid_codes is None and self.department_codes is None


EVERYTHING = Scope()
