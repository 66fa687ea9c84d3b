"""Request and response models of login, users and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from gridwatch_central.auth.scope import PREFIX_PATTERN, Role, validate_prefix

Username = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
Prefix = Annotated[str, StringConstraints(pattern=PREFIX_PATTERN)]
PREFIXES_HELP = "Grid code prefixes of any level (e.g. 500240101 = one street); empty = none"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ScopeIn(_In):
    grid_prefixes: list[Prefix] = Field(
        default_factory=list, max_length=200, description=PREFIXES_HELP
    )
    departments: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("grid_prefixes")
    @classmethod
    def _prefixes(cls, values: list[str]) -> list[str]:
        return sorted({validate_prefix(value) for value in values})


class LoginIn(_In):
    username: str = Username
    password: SecretStr = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: Role


class PrincipalOut(BaseModel):
    kind: Literal["user", "api_key"]
    id: int
    name: str
    role: Role
    unrestricted: bool
    grid_prefixes: list[str]
    departments: list[str]


class UserIn(_ScopeIn):
    username: str = Username
    display_name: str = Field(default="", max_length=128)
    password: SecretStr = Field(min_length=8, max_length=1024)
    role: Role


class UserPatch(_In):
    display_name: str | None = Field(default=None, max_length=128)
    password: SecretStr | None = Field(default=None, min_length=8, max_length=1024)
    role: Role | None = None
    active: bool | None = None
    grid_prefixes: list[Prefix] | None = Field(default=None, max_length=200)
    departments: list[str] | None = Field(default=None, max_length=50)

    @field_validator("grid_prefixes")
    @classmethod
    def _prefixes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else sorted({validate_prefix(v) for v in values})


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    grid_prefixes: list[str]
    departments: list[str]
    created_at: datetime


class ApiKeyIn(_ScopeIn):
    name: str = Username
    role: Role = Role.INTEGRATOR


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key_id: str = Field(description="Public part of the key, to recognise it in lists")
    name: str
    role: Role
    grid_prefixes: list[str]
    departments: list[str]
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class ApiKeyCreatedOut(ApiKeyOut):
    api_key: str = Field(description="The key itself. Shown once: it is stored only hashed.")


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class ApiKeyPage(BaseModel):
    items: list[ApiKeyOut]
    total: int
    limit: int
    offset: int
