"""Builders for the case-loop tests: a clock the test advances, actors and their tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from gridwatch_central.auth.models import UserIn
from gridwatch_central.auth.scope import Role as AccessRole
from gridwatch_central.cases.actor import Actor, Role
from gridwatch_central.runtime import CentralRuntime

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


# The loop's roles as the access layer names them.
_ACCESS_ROLES = {
    Role.OPERATOR: AccessRole.OPERATOR,
    Role.DISPATCHER: AccessRole.DISPATCHER,
    Role.HANDLER: AccessRole.DEPARTMENT_HANDLER,
    Role.INTEGRATOR: AccessRole.INTEGRATOR,
    Role.ADMIN: AccessRole.ADMIN,
}
# Test users see the whole district (500240), and handlers also their department's cases.
_DISTRICT = "500240"
_PASSWORD = "case-loop-test-password"


class ActorTokens:
    """Real users and real Bearer tokens for the actors of a test, made on first use."""

    def __init__(self, runtime: CentralRuntime) -> None:
        self._runtime = runtime
        self._tokens: dict[Actor, str] = {}

    def headers(self, actor: Actor) -> dict[str, str]:
        if actor not in self._tokens:
            self._runtime.auth.create_user(
                UserIn(
                    username=actor.id,
                    password=SecretStr(_PASSWORD),
                    role=_ACCESS_ROLES[actor.role],
                    grid_prefixes=[_DISTRICT],
                    departments=[actor.department] if actor.department else [],
                )
            )
            self._tokens[actor] = self._runtime.auth.login(actor.id, _PASSWORD).access_token
        return {"Authorization": f"Bearer {self._tokens[actor]}"}
