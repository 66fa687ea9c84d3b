"""Who is calling and what they may see: roles, principals, scopes, passwords, tokens, keys."""

from gridwatch_central.auth.scope import Principal, Role, Scope

__all__ = ["Principal", "Role", "Scope"]
