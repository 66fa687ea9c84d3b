"""Edge fixtures: the real YOLOX-Nano detector, shared by every test of the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridwatch_edge.config import DetectorConfig
from gridwatch_edge.detector import Detector, load_detector
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="session")
def manifest_dirs() -> list[Path]:
    return [REPO_ROOT / "models"]


@pytest.fixture(scope="session")
def yolox(models_dir: Path, manifest_dirs: list[Path]) -> Detector:
    return load_detector(DetectorConfig(), models_dir=models_dir, manifest_dirs=manifest_dirs)
