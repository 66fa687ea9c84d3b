"""The 黄水镇 example deployment config starts: grid, categories, routing and its 12 cameras."""

from __future__ import annotations

from pathlib import Path

from gridwatch_central.db import grid_repository
from gridwatch_central.routing import district_code
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import huangshui_config


def test_huangshui_config_starts_with_68_cells_and_12_cameras(
    sqlite_url: str, broker: BrokerConfig, tmp_path: Path
) -> None:
    central = CentralRuntime(huangshui_config(sqlite_url, broker, tmp_path))
    central.start()
    try:
        cells = central.grid_store.index.cells
        assert [sum(1 for c in cells if c.level == n) for n in (1, 2, 3)] == [5, 13, 50]
        with central.sessions() as session:
            assert len(grid_repository.list_cameras(session)) == 12
        assert central.categories.category_for("crowd").code == "90001"
        routing = central.router.config
        assert len(routing.duty_classes) == 15
        # Every grid of the town, and the top of the ladder, has someone to assign cases to.
        codes = {cell.code for cell in cells} | {district_code(cells[0].code)}
        assert {code for code in codes if central.router.staff_of(code) is None} == set()
        assert set(routing.staff) == codes
        # The 集镇片区 is the town centre; the villages' parking goes to the enforcement team.
        assert central.router.area_class(["500240101000000", "500240101001000"]) == "urban"
        assert central.router.route("09009", ["500240105000000"]).department.code == "cgzd"
    finally:
        central.stop()
