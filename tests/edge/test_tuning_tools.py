"""The tools a person setting up a camera uses: ``edge draw`` and ``edge replay``'s options,
and the camera filter that keeps a hallucinated full-frame box from blocking a lane."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from benchmarks.quality.inject import InjectingDetector, Injection
from gridwatch_contract import AlertState
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.pipeline import MediaWindow
from gridwatch_edge.replay import ReplayScope, replay_run
from tests.edge.cli import run_edge_command

LINE = [[0.5, 0.2], [0.5, 0.9]]  # top → bottom: "in" is the screen's left
LANES = [[0.0, 0.35], [1.0, 0.35], [1.0, 1.0], [0.0, 1.0]]  # the road, to the bottom edge
# A "train" over 97 % of the picture in half the frames, as a motorway camera reported.
TRAIN = Injection("train", (0.01, 0.005, 0.995, 0.99), score=0.55, probability=0.5)


def _camera(clip: Path, **extra: Any) -> dict[str, Any]:
    return {
        "id": "campus",
        "url": str(clip),
        "analysis_fps": 5,
        "zones": [
            {
                "id": "lawn",
                "units": "px",
                "polygon": [[115, 345], [345, 345], [345, 518], [115, 518]],
            }
        ],
        "masks": {"objects": [{"polygon": [[0, 0], [250, 0], [250, 30], [0, 30]], "units": "px"}]},
        "rules": [{"type": "line_crossing", "id": "crossing", "line": LINE}],
        **extra,
    }


def test_draw_writes_the_frame_with_zone_line_arrow_and_mask(
    tmp_path: Path, vtest_clip: Path, models_dir: Path
) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text(yaml.safe_dump({"edge_id": "e", "cameras": [_camera(vtest_clip)]}))
    out = tmp_path / "setup.png"
    completed = run_edge_command(
        "draw", "--config", str(config), "--at", "16", "--out", str(out), models_dir=models_dir
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(out)
    image = np.asarray(cv2.imread(str(out)), dtype=np.uint8)
    assert image.shape == (576, 768, 3)
    green, yellow = np.array([80, 220, 80]), np.array([0, 220, 255])
    assert (image[430, 114:117] == green).all(axis=1).any()  # the lawn's left edge at x 115
    assert (image[300, 382:386] == yellow).all(axis=1).any()  # the line at x = 0.5 * 767
    # The "in" arrow points to the screen's left of the line, at its middle (y ~ 316).
    assert (image[310:322, 330:360] == yellow).all(axis=2).any()
    assert not (image[310:322, 410:440] == yellow).all(axis=2).any()
    # The mask over the burnt-in overlay is shaded red: red up, blue and green down.
    original = cv2.VideoCapture(str(vtest_clip))
    original.set(cv2.CAP_PROP_POS_MSEC, 16000)
    ok, read = original.read()
    original.release()
    assert ok
    frame = np.asarray(read, dtype=np.uint8)
    assert image[15, 60, 2] > frame[15, 60, 2]
    assert image[15, 60, 0] < frame[15, 60, 0]


UNKNOWN_IDS = [
    (("draw", "--camera", "gate"), "no camera 'gate'"),
    (("replay", "--rule", "nope"), "no rule nope"),
]


@pytest.mark.parametrize(("command", "message"), UNKNOWN_IDS)
def test_an_unknown_camera_or_rule_is_named(
    tmp_path: Path,
    vtest_clip: Path,
    models_dir: Path,
    command: tuple[str, str, str],
    message: str,
) -> None:
    config = tmp_path / "edge.yaml"
    config.write_text(yaml.safe_dump({"edge_id": "e", "cameras": [_camera(vtest_clip)]}))
    name, option, value = command
    completed = run_edge_command(
        name, "--config", str(config), option, value, models_dir=models_dir
    )
    assert completed.returncode == 2
    assert message in completed.stderr


def test_replay_of_a_window_prints_ids_counts_snapshots_and_a_summary(
    tmp_path: Path, vtest_clip: Path, models_dir: Path
) -> None:
    camera = _camera(vtest_clip)
    camera["rules"].append(
        {"type": "crowd", "id": "crowd", "zone": "lawn", "min_persons": 1, "min_duration_s": 1}
    )
    config = tmp_path / "edge.yaml"
    config.write_text(yaml.safe_dump({"edge_id": "e", "cameras": [camera]}))
    snapshots = tmp_path / "snaps"
    completed = run_edge_command(
        "replay", "--config", str(config), "--start", "10", "--end", "30",
        "--rule", "crossing", "--snapshots", str(snapshots), models_dir=models_dir,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    alerts = [json.loads(line) for line in completed.stdout.splitlines()]
    assert alerts, "no crossing between 10 and 30 s"
    assert {a["rule"] for a in alerts} == {"crossing"}
    assert all(10.0 <= a["media_time_s"] <= 30.0 for a in alerts)
    assert len({a["alert_id"] for a in alerts}) == len(alerts)
    assert len({a["event_id"] for a in alerts}) == 1
    # The file's window ends with the counts still open: the last alert ends the event.
    assert alerts[-1]["state"] == "end"
    assert alerts[-1]["media_time_s"] == pytest.approx(30.0, abs=0.2)
    final = alerts[-1]["measurements"]
    assert sorted(p.name.split("-")[-5] for p in snapshots.iterdir()) == sorted(
        a["alert_id"].split("-")[0] for a in alerts
    )
    summary = completed.stderr
    assert "camera campus:" in summary
    assert "101 analysed" in summary  # 10.0 to 30.0 s at 5 fps
    assert "rule crossing: 1 events" in summary
    assert "rule crowd" not in summary
    counts = {k: int(v) for k, v in final.items() if k.startswith(("in_", "out_"))}
    counts = {k: v for k, v in counts.items() if k not in ("in_total", "out_total") and v}
    shown = ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
    assert f"line crossing final counts: {shown}" in summary


@pytest.mark.parametrize(("max_area", "blocked"), [(None, False), (1.0, True)])
def test_a_full_frame_hallucination_blocks_no_lane_unless_the_filter_is_lifted(
    yolox: Detector, vtest_clip: Path, max_area: float | None, blocked: bool
) -> None:
    rule = {"type": "road_blockage", "id": "lane", "zone": "lanes", "dwell_s": 10}
    camera: dict[str, Any] = {
        "id": "motorway",
        "url": str(vtest_clip),
        "analysis_fps": 5,
        "zones": [{"id": "lanes", "polygon": LANES}],
        "rules": [{**rule, "large_object_min_area": 0.02}],
    }
    if max_area is not None:
        camera["filters"] = {"max_area": max_area}
    config = parse_edge_config({"edge_id": "e", "cameras": [camera]})
    result = replay_run(
        config,
        InjectingDetector(yolox, [TRAIN]),
        scope=ReplayScope(window=MediaWindow(0.0, 25.0)),
    )
    new = [a for a in result.alerts if a.state is AlertState.NEW]
    assert bool(new) is blocked
