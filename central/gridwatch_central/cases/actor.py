"""Who does something to an incident or a case: a typed actor with a role.

The access layer (JWT / API keys) builds the ``Actor``; the case loop only checks the role
against its transition table and, for department handlers, the department.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gridwatch_central.auth.scope import Principal
from gridwatch_central.auth.scope import Role as AccessRole


class Role(StrEnum):
    OPERATOR = "operator"  # 受理员/监督员: reviews alerts, checks the result (核查)
    DISPATCHER = "dispatcher"  # 派遣员/值班长: dispatches, holds, voids, approves extensions
    HANDLER = "handler"  # 部门处置人员: accepts, handles, feeds back, returns
    INTEGRATOR = "integrator"  # machine clients: read-only here
    ADMIN = "admin"
    SYSTEM = "system"  # central itself: auto-verify, the deadline scheduler


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    role: Role
    department: str | None = None


SYSTEM_ACTOR = Actor(id="system", role=Role.SYSTEM)


# The access layer's roles as the case loop's transition table names them.
_LOOP_ROLES = {
    AccessRole.OPERATOR: Role.OPERATOR,
    AccessRole.DISPATCHER: Role.DISPATCHER,
    AccessRole.DEPARTMENT_HANDLER: Role.HANDLER,
    AccessRole.INTEGRATOR: Role.INTEGRATOR,
    AccessRole.ADMIN: Role.ADMIN,
}


def actor_of(principal: Principal) -> Actor:
    """An authenticated caller as the loop records it: ``user:wang`` with role and department."""
    departments = sorted(principal.scope.departments)
    return Actor(
        id=principal.actor,
        role=_LOOP_ROLES[principal.role],
        department=departments[0] if departments else None,
    )
