"""Where gridwatch finds models, footage and its example configuration.

Read from the environment only when a command runs (the composition root), never at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Debian's opencv-doc package ships the OpenCV sample clips here.
DEBIAN_OPENCV_SAMPLES = Path("/usr/share/doc/opencv-doc/examples/data")


@dataclass(frozen=True, slots=True)
class AssetPaths:
    models_dir: Path
    samples_dirs: tuple[Path, ...]
    manifest_dirs: tuple[Path, ...]
    configs_dir: Path

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> AssetPaths:
        env = dict(os.environ) if environ is None else environ
        models_dir = Path(env.get("GRIDWATCH_MODELS_DIR", "models"))
        samples = [Path(env["GRIDWATCH_SAMPLES_DIR"])] if "GRIDWATCH_SAMPLES_DIR" in env else []
        samples += [Path("samples"), DEBIAN_OPENCV_SAMPLES]
        # A user's own manifest next to their weights wins over the built-in one.
        manifests = (models_dir, REPO_ROOT / "models")
        return cls(
            models_dir=models_dir,
            samples_dirs=tuple(samples),
            manifest_dirs=manifests,
            configs_dir=REPO_ROOT / "configs",
        )

    def find_sample(self, name: str) -> Path | None:
        for directory in self.samples_dirs:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        return None
