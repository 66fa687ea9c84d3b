"""Roles, the calling principal and the ``Scope`` of rows it may see.

A scope is a set of grid code prefixes and a set of departments. A row (alert, case) is in
scope when one of its grid codes, at any level, starts with one of the prefixes, or when its
case belongs to one of the departments. Prefixes follow the code layout (6 district + 3 street
+ 3 community + 3 serial): ``500240101`` is a whole street, a full 15-character code is exactly
that grid and its children's rows (they carry the parent's code at the parent's level),
``500240`` is a whole district. An empty scope sees nothing: access fails closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

PREFIX_PATTERN = r"^[0-9A-Za-z]{1,32}$"
_PREFIX = re.compile(PREFIX_PATTERN)


class Role(StrEnum):
    OPERATOR = "operator"  # 值班员: watches the alert queue, verifies, registers cases
    DISPATCHER = "dispatcher"  # 派遣员: routes cases to departments
    DEPARTMENT_HANDLER = "department_handler"  # 处置部门: handles its department's cases
    INTEGRATOR = "integrator"  # another system reading through an API key
    # A sensor gateway posting its batches over HTTP (docs/sensors.md): an API key whose name
    # is the gateway id; it may post for that gateway only, and read nothing.
    GATEWAY = "gateway"
    ADMIN = "admin"  # manages users and keys; unrestricted


def validate_prefix(value: str) -> str:
    if not _PREFIX.match(value):
        raise ValueError(f"invalid grid code prefix {value!r}: 1-32 letters or digits")
    return value


@dataclass(frozen=True, slots=True)
class Scope:
    """What a caller may see; pass it from the route into every service and query."""

    unrestricted: bool = False
    grid_prefixes: frozenset[str] = field(default_factory=frozenset)
    departments: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for prefix in self.grid_prefixes:
            validate_prefix(prefix)

    @classmethod
    def everything(cls) -> Scope:
        return cls(unrestricted=True)

    @classmethod
    def of(
        cls, grid_prefixes: list[str] | None = None, departments: list[str] | None = None
    ) -> Scope:
        return cls(
            grid_prefixes=frozenset(grid_prefixes or ()), departments=frozenset(departments or ())
        )

    def covers_grid(self, *codes: str | None) -> bool:
        """True if one of a row's grid codes lies under one of the prefixes."""
        if self.unrestricted:
            return True
        return any(
            code.startswith(prefix) for code in codes if code for prefix in self.grid_prefixes
        )


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: a person (JWT) or an integrator's system (API key)."""

    kind: str  # "user" or "api_key"
    id: int
    name: str
    role: Role
    scope: Scope

    @property
    def actor(self) -> str:
        """How the caller is recorded in timelines: ``user:wang`` or ``api_key:city-brain``."""
        return f"{self.kind}:{self.name}"
