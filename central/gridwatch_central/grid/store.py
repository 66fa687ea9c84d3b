"""The grid in force: stored in the database, shared by every central process, held in memory
as an immutable ``GridIndex`` that is rebuilt when another process imports a new grid."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from sqlalchemy.orm import Session, sessionmaker

from gridwatch_central.db import grid_repository
from gridwatch_central.db.tables import GridCellRow
from gridwatch_central.grid.cells import GridCell, GridError
from gridwatch_central.grid.codes import GridCodeScheme
from gridwatch_central.grid.geojson import to_feature_collection
from gridwatch_central.grid.index import GridIndex
from gridwatch_central.grid.loader import read_grid_document
from gridwatch_central.grid.report import GridValidationReport
from gridwatch_central.grid.validation import validate_document

log = logging.getLogger(__name__)
API_SOURCE = "api"


@dataclass(frozen=True, slots=True)
class GridImportResult:
    report: GridValidationReport
    version: int | None = None  # None when the grid was refused
    sha256: str | None = None
    imported_at: datetime | None = None


def document_sha256(document: Any) -> str:
    """Hash of the document's content, whatever its key order or whitespace."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class GridStore:
    """Imports, exports and serves the grid; safe to use from the API and ingest threads."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        scheme: GridCodeScheme,
        *,
        refresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self.scheme = scheme
        self._refresh_s = refresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._index = GridIndex([])
        self._version: int | None = None
        self._checked_at = float("-inf")

    @property
    def index(self) -> GridIndex:
        """The grid in force, at most ``refresh_s`` older than the newest import anywhere."""
        if self._clock() - self._checked_at >= self._refresh_s:
            self.refresh()
        return self._index

    @property
    def version(self) -> int | None:
        return self._version

    def refresh(self) -> None:
        with self._lock:
            self._checked_at = self._clock()
            with self._sessions() as session:
                version = grid_repository.grid_version(session)
                if version == self._version:
                    return
                record = grid_repository.latest_import(session)
                rows = grid_repository.grid_cells(session)
                name = record.name if record is not None else None
                self._index = GridIndex([_cell(row) for row in rows], name=name)
                self._version = version
        log.info("grid version %s in force: %d cells", version, len(rows))

    def import_document(self, document: Any, source: str = API_SOURCE) -> GridImportResult:
        """Validate and, only if there is no problem, replace the grid everywhere."""
        cells, report = validate_document(document, self.scheme)
        if not report.valid:
            return GridImportResult(report=report)
        sha256 = document_sha256(document)
        imported_at = datetime.now(UTC)
        name = document.get("name") if isinstance(document.get("name"), str) else None
        record = {
            "imported_at": imported_at,
            "source": source[:512],
            "sha256": sha256,
            "name": name,
            "cell_count": len(cells),
        }
        index = GridIndex(cells, name=name)
        with self._lock:
            with self._sessions.begin() as session:
                version = grid_repository.replace_grid(session, [_row(c) for c in cells], record)
            self._index = index
            self._version = version
            self._checked_at = self._clock()
        log.info("grid version %d imported from %s: %d cells", version, source, len(cells))
        return GridImportResult(report, version, sha256, imported_at)

    def seed_from_file(self, path: Path) -> None:
        """Import ``path`` unless the database already holds this exact file's content.

        An unchanged file never overrides a grid imported later through the API; an edited file
        is imported on the next start. A file with problems raises ``GridError``.
        """
        document, _raw = read_grid_document(path)
        source = f"file:{path.resolve()}"
        with self._sessions() as session:
            previous = grid_repository.latest_import(session, source=source)
        if previous is not None and previous.sha256 == document_sha256(document):
            self.refresh()
            return
        result = self.import_document(document, source=source)
        if result.version is None:
            raise GridError(str(path), result.report.messages())

    def export(self) -> dict[str, Any]:
        index = self.index
        return to_feature_collection(index.cells, name=index.name)


def _row(cell: GridCell) -> dict[str, Any]:
    return {
        "code": cell.code,
        "name": cell.name,
        "level": cell.level,
        "parent_code": cell.parent_code,
        "geometry": cell.source_geometry,
        "properties": cell.extra,
    }


def _cell(row: GridCellRow) -> GridCell:
    return GridCell(
        code=row.code,
        name=row.name,
        level=row.level,
        parent_code=row.parent_code,
        geometry=shape(row.geometry),
        source_geometry=row.geometry,
        extra=dict(row.properties),
    )
