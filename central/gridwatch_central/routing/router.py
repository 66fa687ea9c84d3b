"""Answers of the routing file: category of an event, department and limits of a case, staff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gridwatch_central.routing.config import (
    ANY,
    CategoryPolicy,
    Department,
    RoutingConfig,
    StepLimits,
)

GRID_CODE_LENGTH = 15
DISTRICT_DIGITS = 6


def district_code(grid_code: str) -> str:
    """The 区县 code of any grid code, padded like a grid code (level 0 of the ladder)."""
    return grid_code[:DISTRICT_DIGITS].ljust(GRID_CODE_LENGTH, "0")


@dataclass(frozen=True, slots=True)
class Route:
    category: CategoryPolicy
    area_class: str
    department: Department
    limits: StepLimits


class UnknownCategoryError(LookupError):
    pass


class Router:
    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._policies = {category.code: category for category in config.categories}
        self._departments = {department.code: department for department in config.departments}

    def policy(self, category: str) -> CategoryPolicy:
        try:
            return self._policies[category]
        except KeyError:
            raise UnknownCategoryError(f"unknown category {category!r}") from None

    def policy_or_none(self, category: str) -> CategoryPolicy | None:
        """The policy of a category, or None for one that is stored but never governed."""
        return self._policies.get(category)

    def department(self, code: str) -> Department | None:
        return self._departments.get(code)

    def area_class(self, grid_codes: Sequence[str | None]) -> str:
        """The area class of the deepest grid code that some class lists a prefix of."""
        for code in reversed([c for c in grid_codes if c]):
            for area in self.config.area_classes:
                if any(code.startswith(prefix) for prefix in area.grid_prefixes):
                    return area.name
        return self.config.default_area_class

    def route(self, category: str, grid_codes: Sequence[str | None]) -> Route:
        """First matching route rule, else the department of the category's duty class."""
        policy = self.policy(category)
        area_class = self.area_class(grid_codes)
        for rule in self.config.routes:
            if rule.category in (ANY, category) and rule.area_class in (ANY, area_class):
                limits = rule.limits or self.config.default_limits
                return Route(policy, area_class, self._departments[rule.department], limits)
        department = self._departments[self.config.duty_classes[policy.duty_class]]
        return Route(policy, area_class, department, self.config.default_limits)

    def auto_verifies(self, category: str, confidence: float) -> bool:
        return any(
            rule.category == category and confidence >= rule.min_confidence
            for rule in self.config.auto_verify
        )

    def staff_of(self, grid_code: str | None) -> str | None:
        """The first listed staff member of a grid, who is assigned its cases."""
        if grid_code is None:
            return None
        staff = self.config.staff.get(grid_code) or []
        return staff[0] if staff else None
