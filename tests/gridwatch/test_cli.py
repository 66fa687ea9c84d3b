"""The ``gridwatch`` command as a user runs it: real subprocesses, real assets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gridwatch.demo import DemoOptions, DemoSetupError, prepare
from gridwatch.paths import AssetPaths
from tests.conftest import REPO_ROOT


def _gridwatch(
    *args: str, env: dict[str, str], cwd: Path = REPO_ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gridwatch", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _broker_folders(temp: Path) -> list[Path]:
    return sorted(temp.glob("gridwatch-mosquitto-*"))


def _demo_environment(models_dir: Path, samples_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The assets, and a temporary folder of the test's own where the demo's private broker
    keeps its folder (TMPDIR), so the test can see whether it is left behind."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {
        "GRIDWATCH_MODELS_DIR": str(models_dir),
        "GRIDWATCH_SAMPLES_DIR": str(samples_dir),
        "TMPDIR": str(temp),
    }


def test_demo_runs_for_the_given_seconds_and_ends_with_a_json_summary(
    models_dir: Path, samples_dir: Path, tmp_path: Path
) -> None:
    env = _demo_environment(models_dir, samples_dir, tmp_path)
    temp = Path(env["TMPDIR"])
    data = tmp_path / "data"
    # The first crowd on the road forms at 4.6 s of the clip, so 12 s shows one case.
    result = _gridwatch(
        "demo", "--seconds", "12", "--http-port", "0", "--data-dir", str(data), env=env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert any("/api/v1/cases" in line for line in lines), "the demo must print where to look"
    summary = json.loads(lines[-1])
    assert summary["alerts"] >= 1
    assert summary["cases"] >= 1
    assert summary["alerts"] == summary["alerts_published"]
    assert (data / "central.db").is_file()
    assert _broker_folders(temp) == [], "the demo's broker folder must go when it ends"


def test_demo_interrupted_with_ctrl_c_removes_its_broker_folder(
    models_dir: Path, samples_dir: Path, tmp_path: Path
) -> None:
    env = {**os.environ, **_demo_environment(models_dir, samples_dir, tmp_path)}
    temp = Path(env["TMPDIR"])
    command = [sys.executable, "-m", "gridwatch", "demo", "--http-port", "0"]
    demo = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path / "data")],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo.stdout is not None
        # The login lines are printed (and flushed) once broker and central run.
        for line in demo.stdout:
            if line.startswith("token:"):
                break
        assert len(_broker_folders(temp)) == 1, "the running broker has its folder"
        demo.send_signal(signal.SIGINT)
        _out, err = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode == 0, err
    assert _broker_folders(temp) == []


def test_demo_in_console_mode_leaves_the_alerts_to_a_person_and_says_where_to_log_in(
    models_dir: Path, samples_dir: Path, tmp_path: Path
) -> None:
    env = {"GRIDWATCH_MODELS_DIR": str(models_dir), "GRIDWATCH_SAMPLES_DIR": str(samples_dir)}
    result = _gridwatch(
        "demo",
        "--console",
        "--seconds",
        "12",
        "--http-port",
        "0",
        "--data-dir",
        str(tmp_path),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    console = next(line for line in lines if line.startswith("console:"))
    assert "/console/" in console
    assert "admin /" in console
    summary = json.loads(lines[-1])
    assert summary["incidents"] >= 1
    assert summary["cases"] == 0  # nothing verified itself: the queue waits for the operator


def test_demo_without_the_model_names_the_file_and_fails(samples_dir: Path, tmp_path: Path) -> None:
    env = {"GRIDWATCH_MODELS_DIR": str(tmp_path), "GRIDWATCH_SAMPLES_DIR": str(samples_dir)}
    result = _gridwatch("demo", "--seconds", "1", env=env)
    assert result.returncode != 0
    assert str(tmp_path / "yolox_nano.onnx") in result.stderr
    assert "GRIDWATCH_MODELS_DIR" in result.stderr


def test_demo_without_the_clip_says_where_to_get_it(models_dir: Path, tmp_path: Path) -> None:
    paths = AssetPaths(
        models_dir=models_dir,
        samples_dirs=(tmp_path,),
        manifest_dirs=(REPO_ROOT / "models",),
        configs_dir=REPO_ROOT / "configs",
    )
    options = DemoOptions(seconds=1, http_port=0, data_dir=tmp_path)
    with pytest.raises(DemoSetupError, match=r"vtest\.avi.*\n.*opencv-doc"):
        prepare(options, paths, tmp_path)


def test_models_lists_manifests_and_verifies_checksums(models_dir: Path, tmp_path: Path) -> None:
    present = _gridwatch("models", "--verify", env={"GRIDWATCH_MODELS_DIR": str(models_dir)})
    assert present.returncode == 0, present.stdout
    yolox_line = next(line for line in present.stdout.splitlines() if "yolox_nano" in line)
    assert " verified " in yolox_line
    assert "all model files verified" in present.stdout

    listed = _gridwatch("models", env={"GRIDWATCH_MODELS_DIR": str(models_dir)})
    assert listed.returncode == 0, listed.stdout
    # Without --verify nothing was hashed: the file is only "present", never "verified".
    assert "verified" not in listed.stdout
    assert "present" in listed.stdout

    missing = _gridwatch("models", env={"GRIDWATCH_MODELS_DIR": str(tmp_path)})
    assert missing.returncode == 1
    assert "missing" in missing.stdout
    assert "obtain:" in missing.stdout


def test_models_verify_names_a_damaged_file_and_both_checksums(tmp_path: Path) -> None:
    (tmp_path / "yolox_nano.onnx").write_bytes(b"not the YOLOX-Nano weights")
    result = _gridwatch("models", "--verify", env={"GRIDWATCH_MODELS_DIR": str(tmp_path)})
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    yolox_line = next(line for line in lines if line.startswith("yolox_nano"))
    assert "CHECKSUM MISMATCH" in yolox_line
    assert "verified" not in yolox_line
    assert any(line.strip().startswith("sha256 of the file:") for line in lines)
    assert any(line.strip().startswith("manifest expects:") for line in lines)
    assert "FAILED" in lines[-1]


def test_edge_run_rejects_a_bad_config_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text("edge_id: box-1\ncameras: [{id: cam}]\nbrokr: {}\n", encoding="utf-8")
    result = _gridwatch("edge", "run", "--config", str(config), env={})
    assert result.returncode == 2
    assert "brokr: unknown key" in result.stderr
    assert "cameras.0.url" in result.stderr


def test_edge_run_names_a_missing_broker_password_file(models_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "broker.password"
    config = tmp_path / "edge.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "edge_id": "box-1",
                "broker": {"username": "edge.box-1", "password_file": str(missing)},
                "outbox": {"path": str(tmp_path / "outbox.db")},
            }
        ),
        encoding="utf-8",
    )
    env = {"GRIDWATCH_MODELS_DIR": str(models_dir)}
    result = _gridwatch("edge", "run", "--config", str(config), env=env)
    assert result.returncode == 2
    assert f"broker password file {missing}" in result.stderr


def test_central_serve_rejects_a_bad_config_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "central.yaml"
    config.write_text("grid_file: missing.geojson\nhttp: {port: 70000}\n", encoding="utf-8")
    result = _gridwatch("central", "serve", "--config", str(config), env={})
    assert result.returncode == 2
    assert "http.port" in result.stderr


def _loaded_after(statements: str, modules: set[str]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after running ``statements``."""
    probe = f"import sys; {statements}; print(sorted(set({sorted(modules)!r}) & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout.strip().replace("'", '"'))
    return loaded


def test_central_never_imports_opencv_or_onnxruntime() -> None:
    statements = "import gridwatch_central.runtime, gridwatch.commands.central"
    assert _loaded_after(statements, {"cv2", "onnxruntime", "gridwatch_edge"}) == []


def test_edge_never_imports_the_central_stack() -> None:
    statements = "import gridwatch_edge.runtime, gridwatch.commands.edge"
    assert _loaded_after(statements, {"fastapi", "sqlalchemy", "gridwatch_central"}) == []


def test_the_command_line_itself_imports_neither_stack() -> None:
    """Parsing (``--help`` of every command) must stay light: the stacks load only in the
    subcommand that runs."""
    statements = "import gridwatch.cli; gridwatch.cli.build_parser()"
    assert _loaded_after(statements, {"cv2", "onnxruntime", "fastapi", "sqlalchemy"}) == []
