"""Grid cells to GeoJSON, the exchange format of every GIS a grid office uses."""

from __future__ import annotations

from typing import Any

from gridwatch_central.grid.cells import GridCell


def to_feature(cell: GridCell) -> dict[str, Any]:
    properties = {
        **cell.extra,
        "code": cell.code,
        "name": cell.name,
        "level": cell.level,
        "parent_code": cell.parent_code,
    }
    return {"type": "Feature", "properties": properties, "geometry": cell.source_geometry}


def to_feature_collection(cells: list[GridCell], name: str | None = None) -> dict[str, Any]:
    ordered = sorted(cells, key=lambda cell: (cell.level, cell.code))
    document: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        document["name"] = name
    document["features"] = [to_feature(cell) for cell in ordered]
    return document
