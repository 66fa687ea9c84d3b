"""Bulk import files: CSV (one sensor a row) or JSON (a list of sensor objects), parsed into
sensors or per-row problems; nothing is written here (``registry.import_rows`` decides).

CSV columns: ``id, gateway_id, vendor_code, sensor_type, lat, lon`` (required), ``name,
height_m, heartbeat_interval_s, linked_cameras`` (optional; cameras separated by ``;``, empty
for automatic linking), ``alarm, clear, debounce_s, clear_debounce_s`` (optional threshold
overrides). Empty cells are absent values.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pydantic import ValidationError

from gridwatch_central.sensors.models import MAX_IMPORT_ROWS, ImportProblem, SensorIn

THRESHOLD_COLUMNS = ("alarm", "clear", "debounce_s", "clear_debounce_s")
REQUIRED_COLUMNS = ("id", "gateway_id", "vendor_code", "sensor_type", "lat", "lon")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, no header, too many rows)."""


def parse_import(content: bytes, content_type: str) -> list[SensorIn | ImportProblem]:
    text = _text(content)
    if "json" in content_type:
        documents = _json_rows(text)
    elif "csv" in content_type or "text/plain" in content_type:
        documents = _csv_rows(text)
    else:
        raise ImportFileError(f"send text/csv or application/json, not {content_type!r}")
    if len(documents) > MAX_IMPORT_ROWS:
        raise ImportFileError(f"{len(documents)} rows; at most {MAX_IMPORT_ROWS} per import")
    return [_sensor(number, document) for number, document in enumerate(documents, 1)]


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")  # Excel writes a BOM before UTF-8 CSV
    except UnicodeDecodeError:
        raise ImportFileError("the file is not UTF-8 text") from None


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"not JSON: {error}") from None
    if not isinstance(document, list):
        raise ImportFileError("the JSON document must be a list of sensor objects")
    return [row if isinstance(row, dict) else {"_": row} for row in document]


def _csv_rows(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(f"the CSV header lacks {', '.join(missing)}")
    return [_csv_document(row) for row in reader]


def _csv_document(row: dict[str, Any]) -> dict[str, Any]:
    cells = {key: value.strip() for key, value in row.items() if key and isinstance(value, str)}
    document: dict[str, Any] = {k: v for k, v in cells.items() if v and k not in THRESHOLD_COLUMNS}
    if "linked_cameras" in cells:
        cameras = [camera.strip() for camera in cells["linked_cameras"].split(";")]
        document["linked_cameras"] = [camera for camera in cameras if camera] or None
    threshold = {key: cells[key] for key in THRESHOLD_COLUMNS if cells.get(key)}
    if threshold:
        document["threshold"] = threshold
    return document


def _sensor(number: int, document: dict[str, Any]) -> SensorIn | ImportProblem:
    sensor_id = document.get("id")
    try:
        return SensorIn.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'row'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        return ImportProblem(
            row=number,
            sensor_id=str(sensor_id) if sensor_id is not None else None,
            problem=problems,
        )
