"""Crowd count error: what the crowd rule counts at a moment, against a person's hand count.

Both counts are reported: the frame-wide pass alone (``frame_wide``) and what the rule counts
with its dense pass (``counted``; the same when the rule has none or the frame-wide count is
not near its threshold), with the time each took on this machine (medians of a few runs:
ratios within one run are what to compare, the box is shared).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.quality.scenarios import Scenario
from gridwatch_contract.camera.rules import CrowdRuleConfig
from gridwatch_edge.config import ZoneConfig, parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.rules import CrowdRule
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Zone

# Each count is taken this many times; the median time is reported.
REPEATS = 3


def frame_at(clip: Path, at_s: float) -> Frame:
    capture = cv2.VideoCapture(str(clip))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, round(at_s * capture.get(cv2.CAP_PROP_FPS)))
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok:
        raise ValueError(f"{clip} has no frame at {at_s} s")
    picture = ArrayPicture(np.asarray(image, dtype=np.uint8))
    return Frame(picture, 0, at_s, datetime.now(UTC), live=False)


def _timed(count: Callable[[], int]) -> tuple[int, float]:
    results, times = [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        results.append(count())
        times.append(time.perf_counter() - started)
    return results[0], 1000 * statistics.median(times)


def frame_wide_count(detector: Detector, frame: Frame, zone: ZoneConfig) -> int:
    person = list(detector.class_names).index("person")
    persons = detector.detect(frame.picture).of_classes([person])
    return int(Zone(zone).contains(persons, frame.width, frame.height).sum())


def rule_count(detector: Detector, frame: Frame, zone: ZoneConfig, rule: CrowdRuleConfig) -> int:
    crowd = CrowdRule(rule, Zone(zone), detector.class_names, detector.detect)
    return crowd.count(frame, detector.detect(frame.picture))


def count_errors(scenario: Scenario, clip: Path, detector: Detector) -> list[dict[str, Any]]:
    camera = parse_edge_config(
        {"edge_id": "q", "cameras": [{"id": "c", "url": str(clip), **scenario.camera}]}
    ).cameras[0]
    crowd = next((r for r in camera.rules if isinstance(r, CrowdRuleConfig)), None)
    results = []
    for hand in scenario.counts:
        frame = frame_at(clip, hand.at_s)
        zone = camera.zone(hand.zone)
        wide, wide_ms = _timed(partial(frame_wide_count, detector, frame, zone))
        counted, counted_ms = wide, wide_ms
        if crowd is not None and crowd.zone == hand.zone:
            counted, counted_ms = _timed(partial(rule_count, detector, frame, zone, crowd))
        results.append(
            {
                "scenario": scenario.name,
                "at_s": hand.at_s,
                "hand": hand.persons,
                "frame_wide": wide,
                "counted": counted,
                "error_frame_wide": round((wide - hand.persons) / hand.persons, 3),
                "error_counted": round((counted - hand.persons) / hand.persons, 3),
                "frame_wide_ms": round(wide_ms, 1),
                "counted_ms": round(counted_ms, 1),
            }
        )
    return results
