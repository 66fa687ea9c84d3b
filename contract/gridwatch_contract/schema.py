"""JSON Schema export of every contract message, kept under version control.

``python -m gridwatch_contract.schema --write`` regenerates ``schemas/v1/*.json``; a test fails
when the committed files and the models disagree, so the contract never drifts silently.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gridwatch_contract.messages import (
    AlertAck,
    AlertMessage,
    EdgeConfigMessage,
    EdgeStatsMessage,
    EdgeStatusMessage,
)

SCHEMA_DIR = Path(__file__).parent / "schemas" / "v1"

MESSAGES: dict[str, type[BaseModel]] = {
    "alert": AlertMessage,
    "alert_ack": AlertAck,
    "edge_status": EdgeStatusMessage,
    "edge_stats": EdgeStatsMessage,
    "edge_config": EdgeConfigMessage,
}


def schema_document(model: type[BaseModel]) -> dict[str, Any]:
    document = model.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


def render(model: type[BaseModel]) -> str:
    return json.dumps(schema_document(model), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def schema_path(name: str) -> Path:
    return SCHEMA_DIR / f"{name}.schema.json"


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in MESSAGES.items():
        path = directory / f"{name}.schema.json"
        path.write_text(render(model), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="rewrite the committed schema files")
    args = parser.parse_args(argv)
    if args.write:
        for path in write_all():
            print(path)
        return 0
    stale = [name for name, model in MESSAGES.items() if _committed(name) != render(model)]
    for name in stale:
        print(f"stale schema: {schema_path(name)}")
    return 1 if stale else 0


def _committed(name: str) -> str | None:
    path = schema_path(name)
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    raise SystemExit(main())
