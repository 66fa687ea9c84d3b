"""Case categories: GB/T 47678.5 codes, local extensions, event type mapping, API."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridwatch_central.categories import CategoryError, load_category_map
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.messages import EventType
from tests.central.api.clients import admin_client
from tests.central.helpers import REPO_ROOT

CONFIG_FILE = REPO_ROOT / "configs" / "categories.yaml"


def test_the_config_file_is_the_built_in_table() -> None:
    assert load_category_map(CONFIG_FILE).table == load_category_map(None).table


def test_event_types_map_to_national_codes_and_marked_local_extensions() -> None:
    categories = load_category_map(CONFIG_FILE)
    parking = categories.category_for(EventType.ILLEGAL_PARKING)
    assert (parking.code, parking.name, parking.local_extension) == ("09009", "机动车乱停放", False)
    assert categories.category_for("littering").code == "06010"
    crowd = categories.category_for(EventType.CROWD)
    assert (crowd.code, crowd.name, crowd.local_extension) == ("90001", "人员聚集", True)
    blockage = categories.category_for(EventType.ROAD_BLOCKAGE)
    assert (blockage.code, blockage.local_extension) == ("90002", True)
    assert {c.code for c in categories.categories} >= {
        "06010",
        "06014",
        "06036",
        "09006",
        "09009",
        "08002",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("categories: []\nevent_types: {}\n", "categories: List should have at least 1 item"),
        (
            "categories: [{code: '90001', name: x, major_class: y}]\nevent_types: {}\n",
            "code 90001 is in the local class: mark it local_extension",
        ),
        (
            "categories: [{code: '06010', name: x, major_class: y, local_extension: true}]\n"
            "event_types: {}\n",
            "local extension 06010 must start with 9",
        ),
        (
            "categories: [{code: '06010', name: x, major_class: y}]\n"
            "event_types: {crowd: '99999'}\n",
            "event type crowd maps to 99999, which is not in categories",
        ),
        (
            "categories: [{code: '06010', name: x, major_class: y}]\n"
            "event_types: {crowd: '06010'}\n",
            "event types without a category: road_blockage",
        ),
        ("categories: [{code: '6010', name: x, major_class: y}]\n", "String should match"),
        ("categories: [\n", "not valid YAML"),
    ],
)
def test_bad_category_files_are_refused_with_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "categories.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CategoryError, match=reason):
        load_category_map(path)


def test_categories_endpoint(runtime: CentralRuntime) -> None:
    body = admin_client(runtime).get("/api/v1/categories").json()
    by_code = {c["code"]: c for c in body["categories"]}
    assert by_code["09006"] == {
        "code": "09006",
        "name": "占道经营",
        "major_class": "街面秩序",
        "local_extension": False,
    }
    assert by_code["90002"]["local_extension"] is True
    assert body["event_types"]["crowd"] == "90001"
    assert set(body["event_types"]) == {kind.value for kind in EventType}
