"""Point → grid at every level on the 5+13+50 example, through the STRtree index."""

from __future__ import annotations

import pytest

from gridwatch_central.grid import GridIndex
from tests.central.helpers import HUANGSHUI_GRID


@pytest.fixture(scope="module")
def index() -> GridIndex:
    return GridIndex.from_file(HUANGSHUI_GRID)


def test_every_micro_grid_point_maps_to_its_cell_community_and_town(index: GridIndex) -> None:
    micro_grids = [cell for cell in index.cells if cell.level == 3]
    assert len(micro_grids) == 50
    for cell in micro_grids:
        point = cell.geometry.representative_point()
        found = index.locate(point.y, point.x)
        assert found is not None
        assert found.level3 is not None
        assert found.level2 is not None
        assert found.level1 is not None
        assert found.level3.code == cell.code
        assert found.level2.code == cell.parent_code
        community = index.get(found.level2.code)
        assert community is not None
        assert found.level1.code == community.parent_code


def test_a_named_point_and_points_outside(index: GridIndex) -> None:
    centre = index.locate(30.2300, 108.4000)
    assert centre is not None
    assert centre.codes[0] is not None
    assert centre.codes[0].startswith("500240")
    assert index.locate(30.19, 108.40) is None  # south of the town
    assert index.locate(30.23, 108.45) is None  # east of it
    assert index.locate(0.0, 0.0) is None


def test_a_point_on_a_shared_boundary_gets_one_consistent_chain(index: GridIndex) -> None:
    a, b = (index.get(code) for code in ("500240101001001", "500240101001002"))
    assert a is not None
    assert b is not None
    shared = a.geometry.boundary.intersection(b.geometry.boundary)
    point = shared.interpolate(0.5, normalized=True)
    found = index.locate(point.y, point.x)
    assert found is not None
    assert found.level3 is not None
    # Either side, but never a micro-grid of one community with another community.
    assert found.level3.code in {"500240101001001", "500240101001002"}
    assert found.codes[1] == "500240101001000"
