"""Builders for the case-loop tests: a clock the test advances, actors and their headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gridwatch_central.cases.actor import Actor, Role

# 09:00 in Shanghai on Monday 2 November 2026.
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class ManualClock:
    """The injected server clock: stands still until the test moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> None:
        """Set the clock to ``T0 + minutes``."""
        self.now = T0 + timedelta(minutes=minutes)


OPERATOR = Actor("op-1", Role.OPERATOR)
DISPATCHER = Actor("disp-1", Role.DISPATCHER)


def handler(department: str) -> Actor:
    return Actor(f"{department}-01", Role.HANDLER, department=department)


def headers(actor: Actor) -> dict[str, str]:
    result = {"X-Actor-Id": actor.id, "X-Actor-Role": actor.role.value}
    if actor.department is not None:
        result["X-Actor-Department"] = actor.department
    return result
