"""Who does something to an incident or a case: a typed actor with a role.

The access layer (JWT / API keys) builds the ``Actor``; the case loop only checks the role
against its transition table and, for department handlers, the department.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
