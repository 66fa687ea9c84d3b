"""Reading a YAML file into a pydantic model, with errors naming the file, key and problem."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


def load_yaml_model(
    path: Path | str, model: type[ModelT], error: type[ValueError], what: str = "file"
) -> ModelT:
    """Parse ``path`` as ``model``; raise ``error`` listing every problem. Messages never include
    the offending values, which may be secrets (a camera URL, a broker password)."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as failure:
        raise error(f"{path}: cannot read {what}: {failure.strerror or failure}") from None
    except yaml.YAMLError as failure:
        raise error(f"{path}: not valid YAML: {failure}") from None
    if not isinstance(document, dict):
        raise error(f"{path}: expected a mapping of settings, got {type(document).__name__}")
    try:
        return model.model_validate(document)
    except ValidationError as failure:
        problems = [
            f"key '{'.'.join(str(part) for part in p['loc']) or '(root)'}': {p['msg']}"
            for p in failure.errors(include_url=False, include_input=False)
        ]
        raise error(f"{path}: " + "; ".join(problems)) from None
