from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gridwatch_central.grid import GridError, GridIndex, load_grid
from tests.central.grid.documents import grid_document, grid_feature
from tests.central.helpers import DEMO_CODES, EXAMPLE_GRID


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_example_grid_loads_with_two_towns_four_communities_and_nine_micro_grids() -> None:
    cells = load_grid(EXAMPLE_GRID)
    assert [sum(1 for c in cells if c.level == level) for level in (1, 2, 3)] == [2, 4, 9]
    assert {c.name for c in cells if c.level == 1} == {"黄水镇", "冷水镇"}


def test_demo_camera_maps_to_the_three_required_cells() -> None:
    assignment = GridIndex.from_file(EXAMPLE_GRID).locate(30.2290, 108.3985)
    assert assignment is not None
    assert assignment.level1 is not None
    assert assignment.level2 is not None
    assert assignment.level3 is not None
    codes = (assignment.level1.code, assignment.level2.code, assignment.level3.code)
    assert codes == DEMO_CODES
    assert (assignment.level1.name, assignment.level2.name) == ("黄水镇", "黄水社区")


def test_a_point_in_the_other_town_and_one_outside() -> None:
    index = GridIndex.from_file(EXAMPLE_GRID)
    east = index.locate(30.2250, 108.4150)
    assert east is not None
    assert east.level3 is not None
    assert east.level3.code == "500240102001002"
    assert index.locate(30.30, 108.40) is None
    assert index.locate(0.0, 0.0) is None


def test_child_outside_its_parent_and_overlapping_its_sibling_is_reported(tmp_path: Path) -> None:
    document = grid_document()
    moved = grid_feature(document, "500240101001001")
    # Shift the micro-grid 0.01° east: onto its sibling and partly out of its community.
    moved["geometry"]["coordinates"] = [
        [[x + 0.01, y] for x, y in ring] for ring in moved["geometry"]["coordinates"]
    ]
    with pytest.raises(GridError) as raised:
        load_grid(_write(tmp_path, document))
    message = str(raised.value)
    assert "500240101001001 (黄水社区第一网格)" in message
    assert "lies outside parent 500240101001000" in message
    assert "overlaps 500240101001002" in message


def test_self_intersecting_polygon_is_explained(tmp_path: Path) -> None:
    document = grid_document()
    bowtie = [[108.40, 30.22], [108.41, 30.23], [108.41, 30.22], [108.40, 30.23], [108.40, 30.22]]
    grid_feature(document, "500240102001002")["geometry"]["coordinates"] = [bowtie]
    with pytest.raises(GridError) as raised:
        load_grid(_write(tmp_path, document))
    assert "500240102001002 (冷水社区第二网格): invalid polygon: Self-intersection" in str(
        raised.value
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("50024010100100X", "must be exactly 15 digits"),
        ("500240101001", "must be exactly 15 digits"),
        ("500240101001000", "has 000 as its micro-grid segment (digits 13-15)"),
        ("500240101000002", "has 000 as its community segment (digits 10-12)"),
        ("500240000001002", "has 000 as its street segment (digits 7-9)"),
        ("500240109001009", "does not start with its parent's prefix 500240101001"),
    ],
)
def test_bad_codes_are_reported(tmp_path: Path, code: str, expected: str) -> None:
    document = grid_document()
    grid_feature(document, "500240101001003")["properties"]["code"] = code
    with pytest.raises(GridError) as raised:
        load_grid(_write(tmp_path, document))
    assert expected in str(raised.value)


def test_duplicate_codes_and_missing_parents_are_reported(tmp_path: Path) -> None:
    document = grid_document()
    features = document["features"]
    features.append(copy.deepcopy(grid_feature(document, "500240102002002")))
    grid_feature(document, "500240101002001")["properties"]["parent_code"] = "500240101009000"
    with pytest.raises(GridError) as raised:
        load_grid(_write(tmp_path, document))
    assert "code 500240102002002 is used by more than one feature" in raised.value.problems
    assert any("parent_code '500240101009000' is not a cell" in p for p in raised.value.problems)


def test_unreadable_and_non_geojson_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(GridError, match="cannot read grid file"):
        load_grid(tmp_path / "missing.geojson")
    with pytest.raises(GridError, match="expected a GeoJSON FeatureCollection"):
        load_grid(_write(tmp_path, {"type": "Feature"}))
