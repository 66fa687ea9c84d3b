"""Grid import/export (GeoJSON) and point lookup."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gridwatch_central.api.deps import AdminDep
from gridwatch_central.api.errors import responses
from gridwatch_central.api.geography import GeographyDep
from gridwatch_central.grid import GridProblem, GridValidationReport
from gridwatch_central.schemas import ErrorOut

router = APIRouter(prefix="/grids", tags=["grids"])
GEOJSON = "application/geo+json"
# A district's micro-grid file with detailed boundaries runs to a few MB; 64 MB bounds memory.
MAX_IMPORT_BYTES = 64 * 1024 * 1024


class GridImportOut(BaseModel):
    version: int = Field(description="Id of this import; the newest import is the grid in force")
    sha256: str
    report: GridValidationReport


class GridCellOut(BaseModel):
    code: str
    name: str
    level: int
    parent_code: str | None


class GridLocationOut(BaseModel):
    lat: float
    lon: float
    cells: list[GridCellOut] = Field(description="Level 1 to 3; empty outside the grid")


_FEATURE_COLLECTION = {
    "type": "object",
    "description": "GeoJSON FeatureCollection; each feature's properties carry code, name,"
    " level (1-3) and parent_code (null for level 1); other properties are kept.",
    "required": ["type", "features"],
}


@router.post(
    "/import",
    response_model=GridImportOut,
    responses={
        422: {"model": GridValidationReport, "description": "Every problem found; nothing changed"},
        413: {"model": ErrorOut, "description": "Body larger than the import limit"},
        **responses(403, d403="Only an admin replaces the grid"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                GEOJSON: {"schema": _FEATURE_COLLECTION},
                "application/json": {"schema": _FEATURE_COLLECTION},
            },
        }
    },
)
async def import_grid(
    request: Request, geography: GeographyDep, _admin: AdminDep
) -> GridImportOut | JSONResponse:
    """Replace the whole grid, only if the file has no problem at all (admin only)."""
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise HTTPException(413, detail=f"grid files are limited to {MAX_IMPORT_BYTES} bytes")
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = GridProblem(kind="document", message=f"not valid JSON: {error}")
        report = GridValidationReport(valid=False, cells_by_level={}, problems=[problem])
        return JSONResponse(status_code=422, content=report.model_dump(mode="json"))
    result = geography.grid_store.import_document(document)
    if result.version is None or result.sha256 is None:
        return JSONResponse(status_code=422, content=result.report.model_dump(mode="json"))
    return GridImportOut(version=result.version, sha256=result.sha256, report=result.report)


@router.get(
    "/export",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {"schema": _FEATURE_COLLECTION}}}},
)
def export_grid(geography: GeographyDep) -> JSONResponse:
    """The grid in force as a GeoJSON FeatureCollection, as it was imported."""
    return JSONResponse(geography.grid_store.export(), media_type=GEOJSON)


@router.get("", response_model=list[GridCellOut])
def list_cells(
    geography: GeographyDep,
    level: Annotated[int | None, Query(ge=1, le=3)] = None,
    parent_code: str | None = None,
) -> list[GridCellOut]:
    cells = sorted(geography.grid_store.index.cells, key=lambda c: (c.level, c.code))
    return [
        GridCellOut(code=c.code, name=c.name, level=c.level, parent_code=c.parent_code)
        for c in cells
        if (level is None or c.level == level)
        and (parent_code is None or c.parent_code == parent_code)
    ]


@router.get("/locate", response_model=GridLocationOut)
def locate(
    geography: GeographyDep,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> GridLocationOut:
    """The cells holding a WGS-84 point at every level."""
    index = geography.grid_store.index
    assignment = index.locate(lat, lon)
    refs = [assignment.level1, assignment.level2, assignment.level3] if assignment else []
    cells = [index.get(ref.code) for ref in refs if ref is not None]
    return GridLocationOut(
        lat=lat,
        lon=lon,
        cells=[
            GridCellOut(code=c.code, name=c.name, level=c.level, parent_code=c.parent_code)
            for c in cells
            if c is not None
        ],
    )
