"""YAML configuration files read into pydantic models, with errors naming file, key and problem.

Edge, central and the model manifests all load YAML this one way, so an integrator sees the same
kind of message whichever file is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigFileError(ValueError):
    """A configuration file that cannot be used; the message says where and why."""


def load_yaml_model(
    model: type[ModelT],
    path: Path | str,
    *,
    what: str,
    error: type[ConfigFileError] = ConfigFileError,
) -> ModelT:
    """Read ``path`` as YAML and validate it as ``model``, or raise ``error``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(f"{path}: cannot read {what}: {problem.strerror or problem}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(f"{path}: not valid YAML: {problem}") from None
    return validate_document(model, document, source=str(path), what=what, error=error)


def validate_document(
    model: type[ModelT],
    document: object,
    *,
    source: str,
    what: str,
    error: type[ConfigFileError] = ConfigFileError,
) -> ModelT:
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise error(f"{source}: expected a mapping of settings at the top level, got {kind}")
    try:
        return model.model_validate(document)
    except ValidationError as problem:
        lines = "\n".join(f"  {line}" for line in describe_validation_error(problem))
        raise error(f"{source}: invalid {what}\n{lines}") from None


def describe_validation_error(error: ValidationError) -> list[str]:
    """One ``key.path: problem`` line per problem, in the words an integrator needs."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        key = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{key}: {message}")
    return lines
