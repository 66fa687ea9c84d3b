"""Case routing policy: categories, duty classes, departments, time limits, staff, escalation."""

from gridwatch_central.routing.config import (
    AutoVerifyRule,
    CategoryPolicy,
    Department,
    RouteRule,
    RoutingConfig,
    StepLimits,
    load_routing_config,
)
from gridwatch_central.routing.router import Route, Router, district_code

__all__ = [
    "AutoVerifyRule",
    "CategoryPolicy",
    "Department",
    "Route",
    "RouteRule",
    "Router",
    "RoutingConfig",
    "StepLimits",
    "district_code",
    "load_routing_config",
]
