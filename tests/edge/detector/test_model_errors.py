"""Missing, garbage and misfit model files fail with messages an operator can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridwatch_edge.config import DetectorConfig
from gridwatch_edge.detector import load_detector
from gridwatch_edge.errors import ModelError


def _load(models_dir: Path, manifest_dirs: list[Path], model: str = "yolox_nano") -> None:
    load_detector(DetectorConfig(model=model), models_dir=models_dir, manifest_dirs=manifest_dirs)


def test_missing_file_names_path_source_and_variable(
    tmp_path: Path, manifest_dirs: list[Path]
) -> None:
    with pytest.raises(ModelError) as caught:
        _load(tmp_path, manifest_dirs)
    message = str(caught.value)
    assert str(tmp_path.absolute() / "yolox_nano.onnx") in message
    assert "Kazuhito00/YOLOX-ONNX-TFLite-Sample" in message
    assert "GRIDWATCH_MODELS_DIR" in message


def test_garbage_file_names_the_file(tmp_path: Path, manifest_dirs: list[Path]) -> None:
    (tmp_path / "yolox_nano.onnx").write_bytes(b"this is not a protobuf" * 100)
    with pytest.raises(ModelError, match="not a loadable ONNX model") as caught:
        _load(tmp_path, manifest_dirs)
    assert str(tmp_path.absolute() / "yolox_nano.onnx") in str(caught.value)


def test_wrongly_shaped_model_names_actual_and_expected_input(
    tmp_path: Path, manifest_dirs: list[Path], models_dir: Path
) -> None:
    # A symlink, so the real Ultralytics weights are used without copying them.
    (tmp_path / "yolox_nano.onnx").symlink_to(models_dir / "yolov8n_int8.onnx")
    with pytest.raises(ModelError) as caught:
        _load(tmp_path, manifest_dirs)
    message = str(caught.value)
    assert "yolox_nano.onnx" in message
    assert "[1, 3, 640, 640]" in message
    assert "expected input 'images' float32 [1, 3, 416, 416]" in message


def test_unknown_model_name_lists_the_known_ones(
    models_dir: Path, manifest_dirs: list[Path]
) -> None:
    with pytest.raises(ModelError, match=r"no manifest for model 'yolo9000'.*yolox_nano"):
        _load(models_dir, manifest_dirs, model="yolo9000")
