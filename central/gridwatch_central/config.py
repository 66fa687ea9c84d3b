"""Central's configuration: one pydantic model, loaded once at the composition root."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gridwatch_contract.broker import BrokerConfig
from gridwatch_contract.codec import DEFAULT_MAX_PAYLOAD_BYTES

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration file that cannot be used, with file, key and problem in the message."""


class HttpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)


class CentralConfig(BaseModel):
    """Everything central needs. Relative paths are relative to the working directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = "sqlite:///var/gridwatch/central.db"
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    share_group: str = "central"
    # A stable client id plus a persistent session lets a restarted central receive the QoS 1
    # alerts it had been sent but never acked; None derives one from the host name.
    client_id: str | None = None
    session_expiry_s: int = Field(default=3600, ge=0)
    grid_file: Path
    # Case routing: categories, departments, time limits, staff (see configs/routing.yaml).
    routing_file: Path = Path("configs/routing.yaml")
    snapshot_dir: Path = Path("var/gridwatch/snapshots")
    http: HttpConfig = Field(default_factory=HttpConfig)
    max_payload_bytes: int = Field(default=DEFAULT_MAX_PAYLOAD_BYTES, gt=0)
    # Case numbers carry the local date of the office that handles them, not the UTC date.
    timezone: str = "Asia/Shanghai"
    # How long start() waits for the broker to confirm the subscription before failing loudly.
    subscribe_timeout_s: float = Field(default=10, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
        return value


def load_yaml_model(path: Path | str, model: type[ModelT]) -> ModelT:
    """Read a YAML mapping and validate it as ``model``; ``ConfigError`` names file and key."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(document).__name__}")
    try:
        return model.model_validate(document)
    except ValidationError as error:
        problems = [
            f"key '{'.'.join(str(part) for part in p['loc']) or '(root)'}': {p['msg']}"
            for p in error.errors(include_url=False, include_input=False)
        ]
        raise ConfigError(f"{path}: " + "; ".join(problems)) from None


def load_central_config(path: Path | str) -> CentralConfig:
    """Read and validate a YAML config file; raise ``ConfigError`` naming file, key and problem."""
    return load_yaml_model(path, CentralConfig)
