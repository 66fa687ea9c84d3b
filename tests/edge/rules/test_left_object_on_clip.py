"""A suitcase composited onto the real clip from 20 s on, through ``gridwatch edge replay``.

The suitcase stands on the lower-left lawn, where nobody walks until a pair of walkers cross
the lawn near 54-68 s and pass right in front of it. The command runs as a user runs it (a
subprocess printing JSON lines); the detector has no class for a drawn suitcase at this size,
so the background-change path must find it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.quality.compositing import composite_clip
from tests.edge.cli import run_edge_command

PLACED_AT_S = 20.0
DWELL_S = 10.0
SUITCASE = (190, 400, 30, 40)  # left, top, width, height in pixels of the 768x576 clip
LAWN = [[0.15, 0.6], [0.45, 0.6], [0.45, 0.9], [0.15, 0.9]]


@pytest.fixture(scope="module")
def alerts(
    tmp_path_factory: pytest.TempPathFactory, vtest_clip: Path, models_dir: Path
) -> list[dict[str, Any]]:
    directory = tmp_path_factory.mktemp("left-object")
    clip = composite_clip(vtest_clip, directory / "left.avi", from_s=PLACED_AT_S, box=SUITCASE)
    config = {
        "edge_id": "left-object-test",
        "cameras": [
            {
                "id": "campus",
                "url": str(clip),
                "analysis_fps": 5,
                "zones": [{"id": "lawn", "polygon": LAWN}],
                "rules": [
                    {"type": "left_object", "id": "lawn-left", "zone": "lawn", "dwell_s": DWELL_S}
                ],
            }
        ],
    }
    config_path = directory / "edge.yaml"
    config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    completed = run_edge_command("replay", "--config", str(config_path), models_dir=models_dir)
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines()]


def test_one_left_object_event_after_the_dwell_and_none_before(
    alerts: list[dict[str, Any]],
) -> None:
    assert alerts, "the suitcase was never reported"
    new = [a for a in alerts if a["state"] == "new"]
    assert len(new) == 1
    assert alerts[0] is new[0]
    assert {a["type"] for a in alerts} == {"left_object"}
    assert {(a["camera"], a["zone"], a["rule"]) for a in alerts} == {
        ("campus", "lawn", "lawn-left")
    }
    # Reported once it has been there for the dwell (plus the few seconds the short-term
    # background needs to absorb it), never before it has been there for the dwell.
    assert PLACED_AT_S + DWELL_S <= new[0]["media_time_s"] <= PLACED_AT_S + DWELL_S + 5.0


def test_walkers_passing_in_front_of_it_do_not_end_the_event(
    alerts: list[dict[str, Any]],
) -> None:
    assert [a for a in alerts if a["state"] == "end"] == []
    assert alerts[-1]["media_time_s"] >= 70.0  # still updating after the walkers passed


def test_the_alert_describes_the_changed_region(alerts: list[dict[str, Any]]) -> None:
    first = alerts[0]["measurements"]
    assert first["changed_regions"] == 1
    suitcase_area = SUITCASE[2] * SUITCASE[3] / (768 * 576)
    assert suitcase_area <= first["changed_area"] <= 3 * suitcase_area
    assert alerts[0]["confidence"] == 1.0
