"""Running ``gridwatch edge ...`` as a user runs it: a subprocess of this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT

RUN_TIMEOUT_S = 300


def run_edge_command(*args: str, models_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", "edge", *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
        cwd=REPO_ROOT,
        env={**os.environ, "GRIDWATCH_MODELS_DIR": str(models_dir)},
    )
