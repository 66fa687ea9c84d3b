"""The grid code scheme: how many digits each level adds to a cell's code.

The default follows the usual 15-character 网格 code: 6 digits of district (区县 administrative
code) + 3 of street/town + 3 of community/village + 3 of micro-grid serial. A cell fills only
the segments of its level and zeroes the rest: level 1 ``DDDDDDSSS000000``, level 2
``DDDDDDSSSCCC000``, level 3 ``DDDDDDSSSCCCNNN``. Other provinces use other widths, so every
width is configurable.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

LEVELS = (1, 2, 3)
# Widest code any table can hold (the grid code columns are this wide); 32 leaves room for
# every provincial scheme we know of (the longest in use are 19-20 digits).
MAX_GRID_CODE_LENGTH = 32
_SEGMENT_NAMES = ("street", "community", "micro-grid")


class GridCodeScheme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    district_digits: int = Field(default=6, ge=1, le=12)
    street_digits: int = Field(default=3, ge=1, le=6)
    community_digits: int = Field(default=3, ge=1, le=6)
    serial_digits: int = Field(default=3, ge=1, le=6)

    @model_validator(mode="after")
    def _fits_the_tables(self) -> GridCodeScheme:
        if self.length > MAX_GRID_CODE_LENGTH:
            raise ValueError(f"codes of {self.length} digits exceed {MAX_GRID_CODE_LENGTH}")
        return self

    @property
    def length(self) -> int:
        return (
            self.district_digits + self.street_digits + self.community_digits + self.serial_digits
        )

    def significant(self, level: int) -> int:
        """How many leading digits are meaningful at ``level`` (0 for the district itself)."""
        widths = (self.street_digits, self.community_digits, self.serial_digits)
        return self.district_digits + sum(widths[:level])

    def problem(self, code: str, level: int) -> str | None:
        """Why ``code`` is not a valid code of ``level``, or None if it is."""
        if len(code) != self.length or not code.isascii() or not code.isdigit():
            return f"code {code!r} must be exactly {self.length} digits"
        significant = self.significant(level)
        if code[significant:].strip("0"):
            return f"level-{level} code {code} must end in {self.length - significant} zeros"
        for segment_level in range(1, level + 1):
            start, end = self.significant(segment_level - 1), self.significant(segment_level)
            if not code[start:end].strip("0"):
                name = _SEGMENT_NAMES[segment_level - 1]
                return (
                    f"level-{level} code {code} has {code[start:end]} as its {name} segment"
                    f" (digits {start + 1}-{end})"
                )
        return None

    def parent_prefix(self, code: str, level: int) -> str:
        """The digits a cell of ``level`` shares with its parent (one level up)."""
        return code[: self.significant(level - 1)]
