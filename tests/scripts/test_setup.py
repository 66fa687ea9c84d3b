"""``scripts/setup.sh`` refuses an old or absent Python before it installs anything."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

SETUP = REPO_ROOT / "scripts" / "setup.sh"


def _setup(job: str, python: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": python}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        ["bash", str(SETUP), job],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _interpreter_reporting(version: tuple[int, int], tmp_path: Path) -> Path:
    """An executable that answers setup.sh's two questions as a Python of ``version`` would:
    the version check (``sys.version_info < (3, 11)``) and the printed ``major.minor``."""
    fake = tmp_path / f"python{version[0]}.{version[1]}"
    older = version < (3, 11)
    fake.write_text(
        "#!/bin/sh\n"
        'case "$2" in\n'
        f"  *'sys.exit(sys.version_info'*) exit {1 if older else 0} ;;\n"
        f"  *print*) echo {version[0]}.{version[1]} ;;\n"
        "esac\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    return fake


def test_an_old_python_is_refused_with_the_ways_to_get_3_11(tmp_path: Path) -> None:
    python310 = _interpreter_reporting((3, 10), tmp_path)
    for job in ("demo", "test"):
        result = _setup(job, str(python310))
        assert result.returncode == 69, result.stderr
        assert "is Python 3.10; gridwatch needs Python 3.11 or newer" in result.stderr
        assert "deadsnakes" in result.stderr
        assert "uv python install 3.11" in result.stderr
        assert f"bash scripts/setup.sh {job}" in result.stderr
        # Nothing was installed or started before the check.
        assert "setup: installing" not in result.stdout + result.stderr


def test_a_missing_python_is_named() -> None:
    result = _setup("demo", "python3.99-not-installed")
    assert result.returncode == 69
    assert "no Python interpreter 'python3.99-not-installed' found" in result.stderr
    assert "Debian 12" in result.stderr
