"""Manifests in the repository and verification of weights files against them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridwatch_edge.detector import ModelFileState, discover_manifests, verify_model_file
from gridwatch_edge.errors import ModelError


def test_repository_manifests_are_valid(manifest_dirs: list[Path]) -> None:
    manifests = discover_manifests(manifest_dirs)
    assert set(manifests) >= {"yolox_nano", "yolov8n_int8"}
    assert manifests["yolox_nano"].format == "yolox"
    assert manifests["yolov8n_int8"].format == "ultralytics"
    for manifest in manifests.values():
        assert len(manifest.class_names) == 80
        assert manifest.class_names[0] == "person"


def test_real_weights_verify_as_present(manifest_dirs: list[Path], models_dir: Path) -> None:
    for manifest in discover_manifests(manifest_dirs).values():
        assert verify_model_file(manifest, models_dir).state is ModelFileState.PRESENT


def test_missing_and_mismatching_files(manifest_dirs: list[Path], tmp_path: Path) -> None:
    manifest = discover_manifests(manifest_dirs)["yolox_nano"]
    assert verify_model_file(manifest, tmp_path).state is ModelFileState.MISSING
    (tmp_path / manifest.file).write_bytes(b"not the model")
    status = verify_model_file(manifest, tmp_path)
    assert status.state is ModelFileState.CHECKSUM_MISMATCH
    assert status.actual_sha256 is not None
    assert status.actual_sha256 != manifest.sha256


def test_earlier_directory_overrides(manifest_dirs: list[Path], tmp_path: Path) -> None:
    original = (manifest_dirs[0] / "yolox_nano.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(original.replace('"0.1.1rc0-coco"', '"local"'))
    manifests = discover_manifests([tmp_path, *manifest_dirs])
    assert manifests["yolox_nano"].version == "local"


def test_invalid_manifest_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: x\nversion: '1'\nformat: darknet\n")
    with pytest.raises(ModelError, match=r"(?s)broken\.yaml.*format"):
        discover_manifests([tmp_path])
