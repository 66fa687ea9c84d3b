"""The routing file: the example deployment loads, and every broken reference is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gridwatch_central.config import ConfigError
from gridwatch_central.routing import Router, load_routing_config
from tests.central.helpers import EXAMPLE_ROUTING

DUTY_CLASSES = [
    "社会治安",
    "城市管理",
    "交通管理",
    "市场监管",
    "规划建设",
    "小区管理",
    "消防安全",
    "环境保护",
    "水务管理",
    "劳动保障",
    "文化出版",
    "教育监管",
    "安全生产",
    "组织场所",
    "矛盾纠纷",
]


def test_example_maps_huangshui_duty_classes_to_departments() -> None:
    config = load_routing_config(EXAMPLE_ROUTING)
    assert list(config.duty_classes) == DUTY_CLASSES
    departments = {department.code for department in config.departments}
    assert set(config.duty_classes.values()) <= departments
    assert len(set(config.duty_classes.values())) == 15


def test_routes_by_category_and_area_class() -> None:
    router = Router(load_routing_config(EXAMPLE_ROUTING))
    urban = ["500240101000000", "500240101001000", "500240101001002"]
    rural = ["500240101000000", "500240101002000", "500240101002001"]
    town = router.route("09009", urban)
    village = router.route("09009", rural)
    assert (town.department.code, town.area_class, town.limits.handle_h) == ("jxj", "urban", 2)
    assert (village.department.code, village.area_class, village.limits.case_h) == (
        "cgzd",
        "rural",
        24,
    )
    # No route rule: the duty class decides, with the default limits.
    assert router.route("06010", urban).department.code == "sthb"
    assert router.route("06010", urban).limits.case_h == 72


def test_broken_references_are_all_reported(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE_ROUTING.read_text(encoding="utf-8"))
    document["auto_verify"] = [{"category": "99999", "min_confidence": 0.9}]
    document["duty_classes"]["社会治安"] = "nobody"
    document["routes"][0]["area_class"] = "suburb"
    document["colour"] = "red"
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_routing_config(path)
    assert "colour: unknown key" in str(error.value)
    del document["colour"]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_routing_config(path)
    message = str(error.value)
    assert "auto_verify[0]: unknown category '99999'" in message
    assert "duty_classes.社会治安: unknown department 'nobody'" in message
    assert "routes[0]: unknown area class 'suburb'" in message
