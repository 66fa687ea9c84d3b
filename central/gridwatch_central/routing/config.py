"""The routing file (``configs/routing.yaml``): one pydantic model, validated as a whole.

It says how an alert becomes a case and who handles it: which category an edge event type is
(until the grid helper's category table takes over, through ``category_for``), how alerts merge
into incidents, when an incident verifies itself, which department a category goes to in which
area class, the time limit of every step, and the staff of every grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridwatch_central.config import ConfigError
from gridwatch_contract.yaml_config import load_yaml_model

ANY = "*"
# The levels a case can be handled at: 3 micro-grid (网格), 2 community (社区/村), 1 street/town
# (街道/镇), 0 district (区县) — escalation moves a case one level up.
HANDLING_LEVELS = (3, 2, 1, 0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepLimits(_Strict):
    """Time limits in hours, per step of the case loop and for the whole case."""

    dispatch_h: float = Field(default=1, gt=0, description="立案/回退 → 派遣")
    accept_h: float = Field(default=1, gt=0, description="派遣 → 处置 (the department accepts)")
    handle_h: float = Field(default=24, gt=0, description="处置/返工 → 反馈")
    check_h: float = Field(default=4, gt=0, description="反馈 → 核查 (pass or fail)")
    case_h: float = Field(default=72, gt=0, description="立案 → 结案, the whole case")


class CategoryPolicy(_Strict):
    code: str = Field(
        pattern=r"^[0-9A-Z]{5}$", description="GB/T 47678.5 code, or a 9xxxx local extension"
    )
    name: str
    duty_class: str
    # Alerts of this category closer than this and within the window are one real problem.
    merge_radius_m: float = Field(default=30, gt=0)
    merge_window_min: float = Field(default=30, gt=0)
    emergency: bool = False


class AutoVerifyRule(_Strict):
    """An incident of ``category`` whose best alert reaches ``min_confidence`` verifies itself."""

    category: str
    min_confidence: float = Field(ge=0, le=1)


class Department(_Strict):
    code: str = Field(pattern=r"^[a-z0-9_-]{1,64}$")
    name: str
    head: str = Field(description="Staff id of the department head; overdue cases go to them")
    handlers: list[str] = Field(default_factory=list)


class RouteRule(_Strict):
    """Category × area class → department, with optional time limits of its own."""

    category: str = ANY
    area_class: str = ANY
    department: str
    limits: StepLimits | None = None


class AreaClass(_Strict):
    name: str
    grid_prefixes: list[str] = Field(description="Grid codes (any level) that belong to it")


class RoutingConfig(_Strict):
    categories: list[CategoryPolicy]
    duty_classes: dict[str, str] = Field(description="Duty class (职责分类) → department code")
    departments: list[Department]
    area_classes: list[AreaClass] = Field(default_factory=list)
    default_area_class: str = "urban"
    routes: list[RouteRule] = Field(default_factory=list)
    default_limits: StepLimits = Field(default_factory=StepLimits)
    auto_verify: list[AutoVerifyRule] = Field(default_factory=list)
    staff: dict[str, list[str]] = Field(
        default_factory=dict, description="Grid code (district code for level 0) → staff ids"
    )
    # Emergencies skip the micro-grid and go straight to this level (0 = district).
    emergency_level: int = Field(default=0, ge=0, le=3)
    # Yellow (预警) at this fraction of a time limit; red (督办) at 100 %.
    warn_fraction: float = Field(default=0.8, gt=0, lt=1)
    scheduler_interval_s: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        problems = self._category_problems() + self._route_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _category_problems(self) -> list[str]:
        codes = {category.code for category in self.categories}
        departments = {department.code for department in self.departments}
        problems = [
            f"category {category.code}: unknown duty class {category.duty_class!r}"
            for category in self.categories
            if category.duty_class not in self.duty_classes
        ]
        problems += [
            f"duty_classes.{duty_class}: unknown department {department!r}"
            for duty_class, department in self.duty_classes.items()
            if department not in departments
        ]
        problems += [
            f"auto_verify[{index}]: unknown category {rule.category!r}"
            for index, rule in enumerate(self.auto_verify)
            if rule.category not in codes
        ]
        if len(codes) != len(self.categories):
            problems.append("categories: a code is listed twice")
        return problems

    def _route_problems(self) -> list[str]:
        codes = {category.code for category in self.categories}
        departments = {department.code for department in self.departments}
        area_classes = {area.name for area in self.area_classes} | {self.default_area_class}
        problems: list[str] = []
        for index, route in enumerate(self.routes):
            if route.category not in {ANY} | codes:
                problems.append(f"routes[{index}]: unknown category {route.category!r}")
            if route.area_class not in {ANY} | area_classes:
                problems.append(f"routes[{index}]: unknown area class {route.area_class!r}")
            if route.department not in departments:
                problems.append(f"routes[{index}]: unknown department {route.department!r}")
        return problems


def load_routing_config(path: Path | str) -> RoutingConfig:
    """Read and validate a routing file; raise ``ConfigError`` naming file, key and problem.

    A deployment's file may ``extends:`` a shared policy file and state only its own area
    classes and staff."""
    return load_yaml_model(
        RoutingConfig, path, what="routing configuration", error=ConfigError, allow_extends=True
    )
