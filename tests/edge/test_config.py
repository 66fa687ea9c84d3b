"""Edge configuration errors name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gridwatch_contract.camera.rules import CrowdRuleConfig
from gridwatch_edge.config import ConfigError, load_edge_config
from tests.conftest import REPO_ROOT


def _camera(**changes: Any) -> dict[str, Any]:
    camera: dict[str, Any] = {
        "id": "cam1",
        "url": "rtsp://10.0.0.7/main",
        "zones": [{"id": "road", "polygon": [[0.1, 0.1], [0.9, 0.1], [0.5, 0.9]]}],
        "rules": [
            {"type": "crowd", "id": "crowd1", "zone": "road", "min_persons": 3, "min_duration_s": 5}
        ],
    }
    camera.update(changes)
    return camera


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _error(tmp_path: Path, document: dict[str, Any]) -> str:
    path = _write(tmp_path, document)
    with pytest.raises(ConfigError) as caught:
        load_edge_config(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_example_config_loads() -> None:
    config = load_edge_config(REPO_ROOT / "configs" / "edge.example.yaml")
    rule = config.cameras[0].rules[0]
    assert isinstance(rule, CrowdRuleConfig)
    assert config.cameras[0].zone(rule.zone).id == "road"


def test_valid_config_defaults(tmp_path: Path) -> None:
    config = load_edge_config(_write(tmp_path, {"edge_id": "e1", "cameras": [_camera()]}))
    assert config.detector.model == "yolox_nano"
    assert config.detector.intra_op_threads == 1
    assert config.detector.inference_workers == 0  # one per usable core
    assert config.cameras[0].analysis_fps == 5
    assert config.stats_interval_s == 30


def test_unknown_key(tmp_path: Path) -> None:
    message = _error(tmp_path, {"edge_id": "e1", "cameras": [_camera(fps=3)]})
    assert "cameras.0.fps: unknown key" in message


def test_polygon_point_out_of_range(tmp_path: Path) -> None:
    zones = [{"id": "road", "polygon": [[0.1, 0.1], [1.5, 0.1], [0.5, 0.9]]}]
    message = _error(tmp_path, {"edge_id": "e1", "cameras": [_camera(zones=zones)]})
    assert "cameras.0.zones.0" in message
    assert "outside the relative range" in message


def test_polygon_too_short(tmp_path: Path) -> None:
    zones = [{"id": "road", "polygon": [[0.1, 0.1], [0.5, 0.9]]}]
    message = _error(tmp_path, {"edge_id": "e1", "cameras": [_camera(zones=zones)]})
    assert "cameras.0.zones.0.polygon" in message


def test_rule_referencing_a_missing_zone(tmp_path: Path) -> None:
    rules = [{"type": "crowd", "id": "c", "zone": "plaza", "min_persons": 3, "min_duration_s": 5}]
    message = _error(tmp_path, {"edge_id": "e1", "cameras": [_camera(rules=rules)]})
    assert "cameras.0" in message
    assert "'plaza'" in message


@pytest.mark.parametrize(("key", "value"), [("min_persons", 0), ("min_duration_s", 0)])
def test_non_positive_thresholds(tmp_path: Path, key: str, value: float) -> None:
    rule = {"type": "crowd", "id": "c", "zone": "road", "min_persons": 3, "min_duration_s": 5}
    rule[key] = value
    message = _error(tmp_path, {"edge_id": "e1", "cameras": [_camera(rules=[rule])]})
    assert f"cameras.0.rules.0.crowd.{key}" in message
    assert "greater than" in message


def test_unknown_rule_type(tmp_path: Path) -> None:
    rules = [{"type": "loitering", "id": "c", "zone": "road"}]
    message = _error(tmp_path, {"edge_id": "e1", "cameras": [_camera(rules=rules)]})
    assert "cameras.0.rules.0" in message
    assert "loitering" in message


def test_duplicate_ids(tmp_path: Path) -> None:
    message = _error(tmp_path, {"edge_id": "e1", "cameras": [_camera(), _camera()]})
    assert "duplicate camera id(s): cam1" in message


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("edge_id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_edge_config(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_edge_config(tmp_path / "absent.yaml")
