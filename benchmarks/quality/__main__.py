"""Detection quality on the sample clip and clips composited from it.

    python -m benchmarks.quality [--only NAME ...] [--cache DIR] [--json FILE] [--scenarios F]

Each scenario of ``scenarios.yaml`` runs through ``replay`` (real decoder, YOLOX-Nano, tracker
and rules, as ``gridwatch edge replay`` runs it) and is scored for recall (expected events
alerted within dwell + 3 s), false alerts per camera-hour and latency after the dwell.
Composited clips are made from ``GRIDWATCH_SAMPLES_DIR/vtest.avi`` into the cache directory
(default: a ``gridwatch-quality`` folder in the system temp dir), never into the repository.
Hand counts of people (``counts``) are compared with what the crowd rule would count.
The last line printed is one JSON object. Measurements only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import cv2

from benchmarks.quality.counting import count_errors
from benchmarks.quality.inject import InjectingDetector
from benchmarks.quality.scenarios import SCENARIOS_FILE, Scenario, load_scenarios, make_clip
from benchmarks.quality.score import Raised, Score, score
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector, load_detector
from gridwatch_edge.replay import replay

REPO_ROOT = Path(__file__).resolve().parents[2]
HOUR_S = 3600.0


def clip_seconds(clip: Path) -> float:
    capture = cv2.VideoCapture(str(clip))
    try:
        return float(capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS))
    finally:
        capture.release()


def run_scenario(scenario: Scenario, clip: Path, detector: Detector) -> list[Raised]:
    camera = {"id": "eval", "url": str(clip), "analysis_fps": 5, **scenario.camera}
    config = parse_edge_config({"edge_id": "quality", "cameras": [camera]})
    if scenario.injections:
        detector = InjectingDetector(detector, scenario.injections)
    alerts = replay(config, detector)
    return [Raised(a.rule_id, a.media_time_s or 0.0) for a in alerts if a.state.value == "new"]


def row(name: str, result: Score, seconds: float) -> dict[str, Any]:
    latencies = result.latencies_s
    return {
        "scenario": name,
        "expected": result.expected,
        "hits": result.hits,
        "recall": round(result.recall, 3),
        "false_alerts": result.false_alerts,
        "false_per_camera_hour": round(result.false_alerts * HOUR_S / seconds, 1),
        "latency_mean_s": round(sum(latencies) / len(latencies), 2) if latencies else None,
        "latency_max_s": round(max(latencies), 2) if latencies else None,
        "missed": [f"{m.rule}@{m.at_s}" for m in result.missed],
        "false": [f"{f.rule}@{f.media_time_s:.1f}" for f in result.false],
    }


def print_table(rows: list[dict[str, Any]]) -> None:
    print("| scenario | expected | hits | recall | false | false/cam-h | latency mean / max s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        latency = (
            "—" if r["latency_mean_s"] is None else f"{r['latency_mean_s']} / {r['latency_max_s']}"
        )
        print(
            f"| {r['scenario']} | {r['expected']} | {r['hits']} | {r['recall']} |"
            f" {r['false_alerts']} | {r['false_per_camera_hour']} | {latency} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "gridwatch-quality"
    )
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument(
        "--scenarios", type=Path, default=SCENARIOS_FILE, help="scenario file (default: ours)"
    )
    args = parser.parse_args(argv)
    samples = Path(os.environ.get("GRIDWATCH_SAMPLES_DIR", REPO_ROOT.parent / "shared/video"))
    models = Path(os.environ.get("GRIDWATCH_MODELS_DIR", REPO_ROOT.parent / "shared/models"))
    detector = load_detector(
        parse_edge_config({"edge_id": "q", "cameras": [{"id": "c", "url": "x.avi"}]}).detector,
        models_dir=models,
        manifest_dirs=[REPO_ROOT / "models"],
    )
    rows, counts = [], []
    total = Score()
    total_s = 0.0
    for scenario in load_scenarios(args.scenarios):
        if args.only and scenario.name not in args.only:
            continue
        clip = make_clip(scenario.clip, samples, args.cache)
        seconds = clip_seconds(clip)
        result = score(
            scenario.expected, run_scenario(scenario, clip, detector), complete=scenario.complete
        )
        rows.append(row(scenario.name, result, seconds))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        total.expected += result.expected
        total.hits += result.hits
        total.false_alerts += result.false_alerts
        total.latencies_s += result.latencies_s
        total_s += seconds if scenario.complete else 0.0
        counts += count_errors(scenario, clip, detector)
    rows.append(row("all", total, total_s or 1.0))
    print_table(rows)
    for item in counts:
        print(json.dumps(item), flush=True)
    if args.json:
        document = {"scenarios": rows, "counts": counts}
        args.json.write_text(json.dumps(document, indent=1), encoding="utf-8")
    print(json.dumps({"all": rows[-1], "counts": counts}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
