"""The 黄水镇 example deployment config starts: grid, categories and its 12 cameras."""

from __future__ import annotations

from pathlib import Path

from gridwatch_central.config import load_central_config
from gridwatch_central.db import grid_repository
from gridwatch_central.runtime import CentralRuntime
from gridwatch_contract.broker import BrokerConfig
from tests.central.helpers import REPO_ROOT


def test_huangshui_config_starts_with_68_cells_and_12_cameras(
    sqlite_url: str, broker: BrokerConfig, tmp_path: Path
) -> None:
    config = load_central_config(REPO_ROOT / "configs" / "central.huangshui.yaml")
    config = config.model_copy(
        update={
            "database_url": sqlite_url,
            "broker": broker,
            "client_id": "central-huangshui-test",
            "session_expiry_s": 0,
            "snapshot_dir": tmp_path / "snapshots",
            "grid_file": REPO_ROOT / config.grid_file,
            "categories_file": REPO_ROOT / (config.categories_file or Path()),
            "cameras_file": REPO_ROOT / (config.cameras_file or Path()),
        }
    )
    central = CentralRuntime(config)
    central.start()
    try:
        cells = central.grid_store.index.cells
        assert [sum(1 for c in cells if c.level == n) for n in (1, 2, 3)] == [5, 13, 50]
        with central.sessions() as session:
            assert len(grid_repository.list_cameras(session)) == 12
        assert central.categories.category_for("crowd").code == "90001"
    finally:
        central.stop()
