"""Bulk onboarding from a 雪亮 camera list (CSV or JSON): national camera code (国标编码),
name, URL, lon/lat, edge. ``dry_run`` reports what would be created, updated or left
unchanged and every row's errors; a real run applies only a list without errors (all or
nothing) and pushes each touched edge's config once.

A camera's id is its national code: it is unique, stable, and a valid topic level. Rows
matching an existing camera (by id) update its name, URL, position and edge; its zones,
rules and other settings are kept.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from gridwatch_central.auth.scope import Scope
from gridwatch_central.cameras.config_push import stream_url
from gridwatch_central.cameras.models import NATIONAL_CODE_PATTERN, RtspUrl
from gridwatch_central.cameras.service import CameraService, in_scope
from gridwatch_central.cameras.urls import redact_url
from gridwatch_central.db import edge_config_repository, grid_repository
from gridwatch_central.grid.index import GridIndex
from gridwatch_contract.camera.url_policy import UrlPolicyError, check_camera_url
from gridwatch_contract.topics import validate_id

# Column names as 雪亮 platform exports spell them, mapped to ours (case-insensitive).
COLUMN_ALIASES = {
    "national_code": "national_code",
    "国标编码": "national_code",
    "设备编码": "national_code",
    "gb_code": "national_code",
    "name": "name",
    "名称": "name",
    "设备名称": "name",
    "url": "url",
    "rtsp_url": "url",
    "取流地址": "url",
    "视频地址": "url",
    "lon": "lon",
    "经度": "lon",
    "lat": "lat",
    "纬度": "lat",
    "edge": "edge",
    "edge_id": "edge",
    "边缘节点": "edge",
}
# A list of every camera of a county is a few thousand rows; beyond that, split the file.
MAX_ROWS = 20_000
Action = Literal["create", "update", "unchanged", "error"]


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, no header, too many rows)."""


class ImportRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    national_code: str = Field(pattern=NATIONAL_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    url: RtspUrl
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    edge: Annotated[str, AfterValidator(validate_id)]


class ImportItem(BaseModel):
    row: int = Field(description="1-based data row (the CSV header is not counted)")
    camera_id: str | None
    action: Action
    changes: list[str] = Field(default_factory=list, description="Fields an update changes")
    error: str | None = None


class ImportReport(BaseModel):
    dry_run: bool
    applied: bool
    created: int
    updated: int
    unchanged: int
    errors: int
    items: list[ImportItem]


def parse_rows(content: bytes, content_type: str) -> list[dict[str, Any]]:
    """The rows as dicts with our column names; ``ImportFormatError`` for an unusable file."""
    try:
        text = content.decode("utf-8-sig")  # Excel writes a BOM before UTF-8 CSV
    except UnicodeDecodeError:
        raise ImportFormatError("the file is not UTF-8 text") from None
    if "json" in content_type or text.lstrip().startswith(("[", "{")):
        rows = _json_rows(text)
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) > MAX_ROWS:
        raise ImportFormatError(f"{len(rows)} rows: at most {MAX_ROWS} per import")
    return [_renamed(row) for row in rows]


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ImportFormatError(f"not valid JSON: {error}") from None
    if isinstance(document, dict):
        document = document.get("cameras")
    if not isinstance(document, list) or not all(isinstance(row, dict) for row in document):
        raise ImportFormatError("JSON must be a list of camera objects (or {cameras: [...]})")
    return document


def _renamed(row: dict[str, Any]) -> dict[str, Any]:
    renamed: dict[str, Any] = {}
    for key, value in row.items():
        column = COLUMN_ALIASES.get(str(key).strip().lower(), str(key).strip())
        renamed[column] = value.strip() if isinstance(value, str) else value
    return renamed


class CameraImporter:
    """One import for one caller: rows placing a camera outside the caller's grids, or
    touching a camera standing outside them, are errors."""

    def __init__(self, service: CameraService, grid: GridIndex, scope: Scope) -> None:
        self._service = service
        self._grid = grid
        self._scope = scope

    def run(self, session: Session, rows: list[dict[str, Any]], *, dry_run: bool) -> ImportReport:
        plans = [self._plan(session, number, row) for number, row in enumerate(rows, start=1)]
        items = [item for item, _ in plans]
        seen: dict[str, int] = {}
        for item in items:  # one camera twice in a list is an error in both places
            if item.camera_id is not None and item.action != "error":
                if item.camera_id in seen:
                    item.action, item.error = "error", f"same camera as row {seen[item.camera_id]}"
                seen.setdefault(item.camera_id, item.row)
        errors = sum(item.action == "error" for item in items)
        applied = not dry_run and errors == 0
        if applied:
            self._apply(session, [(item, row) for item, row in plans if row is not None])
        return ImportReport(
            dry_run=dry_run,
            applied=applied,
            created=sum(item.action == "create" for item in items),
            updated=sum(item.action == "update" for item in items),
            unchanged=sum(item.action == "unchanged" for item in items),
            errors=errors,
            items=items,
        )

    def _plan(
        self, session: Session, number: int, raw: dict[str, Any]
    ) -> tuple[ImportItem, ImportRow | None]:
        code = raw.get("national_code")
        camera_id = code if isinstance(code, str) and code else None
        try:
            row = ImportRow.model_validate(raw)
            check_camera_url(row.url, self._service.url_policy)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            return ImportItem(row=number, camera_id=camera_id, action="error", error=problems), None
        except UrlPolicyError as error:
            return ImportItem(
                row=number, camera_id=camera_id, action="error", error=str(error)
            ), None
        stored = grid_repository.get_camera(session, row.national_code)
        places = [(row.lat, row.lon)] + ([(stored.lat, stored.lon)] if stored else [])
        if not all(in_scope(self._scope, self._grid, lat, lon) for lat, lon in places):
            return _error(number, camera_id, "outside the grids you may manage"), None
        if stored is None:
            return ImportItem(row=number, camera_id=row.national_code, action="create"), row
        current = {
            "name": stored.name,
            "url": stream_url(stored, self._service.vault),
            "lon": stored.lon,
            "lat": stored.lat,
            "edge": stored.edge_id,
        }
        changes = [field for field, value in current.items() if getattr(row, field) != value]
        action: Action = "update" if changes else "unchanged"
        item = ImportItem(row=number, camera_id=row.national_code, action=action, changes=changes)
        return item, row

    def _apply(self, session: Session, plans: list[tuple[ImportItem, ImportRow]]) -> None:
        now = datetime.now(UTC)
        vault = self._service.vault
        changed = [
            (row, grid_repository.get_camera(session, row.national_code))
            for item, row in plans
            if item.action != "unchanged"
        ]
        touched = {row.edge for row, _ in changed} | {
            stored.edge_id for _, stored in changed if stored is not None
        }
        # One new revision per touched edge, locked in id order (no deadlock with a
        # concurrent change), carrying every camera of the list at once.
        revisions = {
            edge_id: edge_config_repository.bump_revision(session, edge_id)
            for edge_id in sorted(touched)
        }
        for row, stored in changed:
            values: dict[str, Any] = {
                "edge_id": row.edge,
                "name": row.name,
                "rtsp_url": redact_url(row.url),
                "url_encrypted": vault.encrypt(row.url),
                "lat": row.lat,
                "lon": row.lon,
                "national_code": row.national_code,
                "updated_at": now,
                "config_revision": revisions[row.edge],
            }
            if stored is None:
                values |= {"id": row.national_code, "created_at": now}
                grid_repository.add_camera(session, values)
            else:
                grid_repository.update_camera(session, stored, values)
        session.commit()
        self._service.notify_changed(touched)


def _error(number: int, camera_id: str | None, reason: str) -> ImportItem:
    return ImportItem(row=number, camera_id=camera_id, action="error", error=reason)
