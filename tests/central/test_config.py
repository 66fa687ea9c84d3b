from __future__ import annotations

from pathlib import Path

import pytest

from gridwatch_central.config import ConfigError, load_central_config
from tests.central.helpers import REPO_ROOT


def test_example_config_loads() -> None:
    config = load_central_config(REPO_ROOT / "configs" / "central.example.yaml")
    assert config.grid_file == Path("configs/grid/example-district.geojson")
    assert config.http.port == 8000
    assert config.broker.topic_prefix == "gridwatch"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("grid_file: g.geojson\nhttp: {port: 0}\n", "http.port: Input should be greater"),
        ("grid_file: g.geojson\ncolour: red\n", "colour: unknown key"),
        ("http: {}\n", "grid_file: Field required"),
        ("grid_file: g.geojson\ntimezone: Mars/Base\n", "unknown IANA time zone 'Mars/Base'"),
        ("grid_file: g.geojson\ndatabase_url: mysql://x\n", "database_url: database_url must be"),
        ("- a list\n", "expected a mapping"),
        ("grid_file: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_configs_name_file_key_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "central.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_central_config(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert expected in str(raised.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read central configuration"):
        load_central_config(tmp_path / "nope.yaml")
