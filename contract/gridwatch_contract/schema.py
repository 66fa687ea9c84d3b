"""JSON Schema export of every contract message, kept under version control.

``python -m gridwatch_contract.schema --write`` regenerates ``schemas/v1/*.json``; a test fails
when the committed files and the models disagree, so the contract never drifts silently.

``alert_frame_header`` describes the JSON header of a framed alert (what precedes the NUL
byte, see ``gridwatch_contract.framing``): the alert schema with ``attachment`` references in
the snapshots. ``edge_response_frame_header`` does the same for an edge's response.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gridwatch_contract.clip_messages import ClipAck, ClipChunkHeader, ClipUnavailableMessage
from gridwatch_contract.edge_requests import EdgeRequest, EdgeResponse
from gridwatch_contract.framing import AttachmentRef
from gridwatch_contract.messages import (
    AlertAck,
    AlertMessage,
    EdgeConfigMessage,
    EdgeStatsMessage,
    EdgeStatusMessage,
)
from gridwatch_contract.sensors import SensorAck, SensorBatch

SCHEMA_DIR = Path(__file__).parent / "schemas" / "v1"

MESSAGES: dict[str, type[BaseModel]] = {
    "alert": AlertMessage,
    "alert_ack": AlertAck,
    "edge_status": EdgeStatusMessage,
    "edge_stats": EdgeStatsMessage,
    "edge_config": EdgeConfigMessage,
    # The JSON header of a framed clip chunk: ``length`` raw bytes follow a NUL byte.
    "clip_chunk_header": ClipChunkHeader,
    "clip_unavailable": ClipUnavailableMessage,
    "clip_ack": ClipAck,
    "edge_request": EdgeRequest,
    "edge_response": EdgeResponse,
    "sensor_batch": SensorBatch,
    "sensor_ack": SensorAck,
}


FRAME_HEADER = "alert_frame_header"
RESPONSE_FRAME_HEADER = "edge_response_frame_header"
# The messages sent framed: the schema of each one's header, by name, and what it is called.
FRAMED: dict[str, tuple[type[BaseModel], str]] = {
    FRAME_HEADER: (AlertMessage, "alert"),
    RESPONSE_FRAME_HEADER: (EdgeResponse, "edge response"),
}

FRAMING_DESCRIPTION = (
    "The JSON header of a framed {what}. A framed {what} is this header (UTF-8 JSON, as for a"
    " plain {what}), one NUL byte (0x00, which JSON text never contains), then the snapshots'"
    " bytes back to back. Each snapshot sent this way has an 'attachment' {{offset, length}}"
    " instead of 'data' (base64); offsets count from the first byte after the NUL. Every byte"
    " after the NUL belongs to exactly one attachment; attachments must not overlap."
)


def schema_document(model: type[BaseModel]) -> dict[str, Any]:
    document = model.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document}


def frame_header_document(
    model: type[BaseModel] = AlertMessage, what: str = "alert"
) -> dict[str, Any]:
    """The message's schema with ``attachment`` as a third source of a snapshot's picture."""
    document = schema_document(model)
    document["description"] = FRAMING_DESCRIPTION.format(what=what)
    definitions = document["$defs"]
    definitions["AttachmentRef"] = AttachmentRef.model_json_schema(mode="validation")
    snapshot = definitions["Snapshot"]
    snapshot["properties"]["attachment"] = {"$ref": "#/$defs/AttachmentRef"}
    snapshot["description"] += " Framed: 'attachment' instead of 'data'."
    return document


def documents() -> dict[str, dict[str, Any]]:
    """Every committed schema by name: one a message, and the header of each framed one."""
    named = {name: schema_document(model) for name, model in MESSAGES.items()}
    framed = {name: frame_header_document(*framing) for name, framing in FRAMED.items()}
    return named | framed


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def schema_path(name: str) -> Path:
    return SCHEMA_DIR / f"{name}.schema.json"


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in documents().items():
        path = directory / f"{name}.schema.json"
        path.write_text(render(document), encoding="utf-8")
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
    stale = [name for name, document in documents().items() if _committed(name) != render(document)]
    for name in stale:
        print(f"stale schema: {schema_path(name)}")
    return 1 if stale else 0


def _committed(name: str) -> str | None:
    path = schema_path(name)
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    raise SystemExit(main())
