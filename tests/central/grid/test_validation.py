"""The typed validation report: every kind of defect, located and sized."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from shapely.geometry import Point, shape

from gridwatch_central.grid import GridCodeScheme, GridValidationReport
from gridwatch_central.grid.validation import validate_document
from tests.central.grid.documents import grid_document, grid_feature
from tests.central.helpers import HUANGSHUI_GRID


def _report(document: Any, scheme: GridCodeScheme | None = None) -> GridValidationReport:
    return validate_document(document, scheme or GridCodeScheme())[1]


def _kinds(report: GridValidationReport) -> list[tuple[str, str | None]]:
    return [(p.kind, p.code) for p in report.problems]


def test_huangshui_5_13_50_validates_with_zero_problems() -> None:
    report = _report(grid_document(HUANGSHUI_GRID))
    assert report.problems == []
    assert report.valid
    assert report.cells_by_level == {1: 5, 2: 13, 3: 50}


def test_example_district_validates_with_zero_problems() -> None:
    assert _report(grid_document()).problems == []


def test_overlap_is_reported_with_area_and_point() -> None:
    document = grid_document()
    moved = grid_feature(document, "500240101001001")
    # 0.002° east (~190 m): onto its sibling, and out of its community on the east side.
    moved["geometry"]["coordinates"] = [
        [[x + 0.002, y] for x, y in ring] for ring in moved["geometry"]["coordinates"]
    ]
    report = _report(document)
    assert not report.valid
    overlaps = [p for p in report.problems if p.kind == "overlap"]
    assert {(p.code, p.other_code) for p in overlaps} >= {("500240101001001", "500240101001002")}
    overlap = next(p for p in overlaps if p.other_code == "500240101001002")
    assert overlap.area_m2 is not None
    assert overlap.area_m2 > 10_000
    assert overlap.point is not None
    assert "overlaps 500240101001002 (黄水社区第二网格) by" in overlap.message
    # Moving a cell also uncovers part of its parent: the gap is listed where it opened.
    gaps = [p for p in report.problems if p.kind == "gap"]
    assert [p.code for p in gaps] == ["500240101001000"]


def test_child_outside_parent_says_how_much_and_why_it_is_refused() -> None:
    document = grid_document()
    # A level-3 cell re-parented to the other town's community: wholly outside its new parent.
    cell = grid_feature(document, "500240102001002")
    cell["properties"]["parent_code"] = "500240102002000"
    cell["properties"]["code"] = "500240102002009"
    report = _report(document)
    outside = [p for p in report.problems if p.kind == "outside_parent"]
    assert [(p.code, p.other_code) for p in outside] == [("500240102002009", "500240102002000")]
    assert "100.0% of its area" in outside[0].message
    assert "at most 0.1% is tolerated" in outside[0].message
    assert outside[0].point is not None


def test_self_intersection_and_unclosed_ring_are_explained() -> None:
    document = grid_document()
    bowtie = [[108.40, 30.22], [108.41, 30.23], [108.41, 30.22], [108.40, 30.23], [108.40, 30.22]]
    grid_feature(document, "500240102001002")["geometry"]["coordinates"] = [bowtie]
    ring = grid_feature(document, "500240102002001")["geometry"]["coordinates"][0]
    ring.pop()  # drop the closing position
    report = _report(document)
    geometry = {p.code: p.message for p in report.problems if p.kind == "geometry"}
    assert "invalid polygon: Self-intersection" in geometry["500240102001002"]
    assert "ring 1 is not closed" in geometry["500240102002001"]


def test_gap_lists_area_and_a_point_inside_it() -> None:
    document = grid_document()
    removed = grid_feature(document, "500240101001003")
    document["features"].remove(removed)
    report = _report(document)
    assert _kinds(report) == [("gap", "500240101001000")]
    gap = report.problems[0]
    assert gap.point is not None
    assert gap.area_m2 is not None
    assert gap.area_m2 > 100_000
    # The point lies in the removed micro-grid, the part its community lost.
    assert shape(removed["geometry"]).contains(Point(gap.point.lon, gap.point.lat))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("50024010100100X", "must be exactly 15 digits"),
        ("500240101001000", "has 000 as its micro-grid segment (digits 13-15)"),
        ("500240109001009", "does not start with its parent's prefix 500240101001"),
    ],
)
def test_bad_codes_are_reported(code: str, expected: str) -> None:
    document = grid_document()
    grid_feature(document, "500240101001003")["properties"]["code"] = code
    report = _report(document)
    assert any(expected in message for message in report.messages())


def test_every_problem_is_reported_at_once() -> None:
    document = grid_document()
    document["features"].append(copy.deepcopy(grid_feature(document, "500240102002002")))
    grid_feature(document, "500240101001003")["properties"]["code"] = "5002401010010XX"
    document["features"].append({"type": "Feature", "properties": {"code": "1"}})
    kinds = {p.kind for p in _report(document).problems}
    assert kinds >= {"code", "document", "overlap"}


def test_a_wider_code_scheme_is_configurable() -> None:
    scheme = GridCodeScheme(street_digits=4)
    assert scheme.length == 16
    assert scheme.problem("5002400101001001", 3) is None
    assert (
        scheme.problem("500240101001001", 3) == "code '500240101001001' must be exactly 16 digits"
    )
    assert scheme.problem("5002400101000000", 1) is None
    assert scheme.problem("5002400000000000", 1) == (
        "level-1 code 5002400000000000 has 0000 as its street segment (digits 7-10)"
    )
    # The default 15-digit file is refused, with a reason, under a 16-digit scheme.
    report = _report(grid_document(), scheme)
    assert not report.valid
    assert all(p.kind in {"code", "parent"} for p in report.problems)


def test_not_a_feature_collection() -> None:
    assert _kinds(_report({"type": "Feature"})) == [("document", None)]
    assert _kinds(_report({"type": "FeatureCollection", "features": []})) == [("document", None)]
