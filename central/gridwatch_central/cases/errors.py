"""Typed refusals of the case loop; the API maps each to one status code and body."""

from __future__ import annotations


class CaseLoopError(Exception):
    """Base: ``code`` is stable for clients, the message is for humans."""

    code = "case_loop_error"


class NotFoundError(CaseLoopError):
    code = "not_found"


class IllegalTransitionError(CaseLoopError):
    """The action is not allowed in the record's current state (HTTP 409)."""

    code = "illegal_transition"

    def __init__(self, subject: str, action: str, state: str, allowed: list[str]) -> None:
        listing = ", ".join(allowed) or "none"
        super().__init__(
            f"{subject}: '{action}' is not allowed in state {state}; allowed: {listing}"
        )
        self.action = action
        self.state = state
        self.allowed = allowed


class ForbiddenError(CaseLoopError):
    """The actor's role or department may not do this (HTTP 403)."""

    code = "forbidden"


class InvalidRequestError(CaseLoopError):
    """The request names something that does not fit, e.g. an unknown department (HTTP 422)."""

    code = "invalid_request"
