"""YAML configuration files read into pydantic models, with errors naming file, key and problem.

Edge, central and the model manifests all load YAML this one way, so an integrator sees the same
kind of message whichever file is wrong.

A file may opt in to ``extends: other.yaml`` (relative to itself): its top-level keys replace
the other file's, so a deployment states only what differs from a shared policy file instead of
copying it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)

EXTENDS_KEY = "extends"
# A chain longer than this is a mistake in the files, not a policy hierarchy anyone maintains.
MAX_EXTENDS_DEPTH = 4


class ConfigFileError(ValueError):
    """A configuration file that cannot be used; the message says where and why."""


def load_yaml_model(
    model: type[ModelT],
    path: Path | str,
    *,
    what: str,
    error: type[ConfigFileError] = ConfigFileError,
    allow_extends: bool = False,
) -> ModelT:
    """Read ``path`` as YAML and validate it as ``model``, or raise ``error``.

    With ``allow_extends`` the file may name a base file under ``extends`` (module docstring).
    """
    path = Path(path)
    document = _read_document(path, what, error)
    if allow_extends:
        document = _resolve_extends(path, document, what, error, depth=0)
    return validate_document(model, document, source=str(path), what=what, error=error)


def _read_document(path: Path, what: str, error: type[ConfigFileError]) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(f"{path}: cannot read {what}: {problem.strerror or problem}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(f"{path}: not valid YAML: {problem}") from None


def _resolve_extends(
    path: Path, document: object, what: str, error: type[ConfigFileError], depth: int
) -> object:
    if not isinstance(document, dict) or EXTENDS_KEY not in document:
        return document
    base_name = document[EXTENDS_KEY]
    if not isinstance(base_name, str) or not base_name:
        raise error(f"{path}: {EXTENDS_KEY}: expected the path of another {what} file")
    if depth >= MAX_EXTENDS_DEPTH:
        raise error(f"{path}: {EXTENDS_KEY}: more than {MAX_EXTENDS_DEPTH} files deep (a loop?)")
    base_path = path.parent / base_name
    base = _resolve_extends(
        base_path, _read_document(base_path, what, error), what, error, depth + 1
    )
    if not isinstance(base, dict):
        raise error(f"{base_path}: expected a mapping of settings at the top level")
    own = {key: value for key, value in document.items() if key != EXTENDS_KEY}
    return {**base, **own}


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
