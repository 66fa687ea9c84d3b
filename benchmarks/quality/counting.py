"""Crowd count error: what the crowd rule counts at a moment, against a person's hand count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from benchmarks.quality.scenarios import Scenario
from gridwatch_edge.config import ZoneConfig
from gridwatch_edge.detector import Detector
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.zones import Zone


def frame_at(clip: Path, at_s: float) -> ArrayPicture:
    capture = cv2.VideoCapture(str(clip))
    try:
        capture.set(cv2.CAP_PROP_POS_FRAMES, round(at_s * capture.get(cv2.CAP_PROP_FPS)))
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok:
        raise ValueError(f"{clip} has no frame at {at_s} s")
    return ArrayPicture(np.asarray(image, dtype=np.uint8))


def count_errors(scenario: Scenario, clip: Path, detector: Detector) -> list[dict[str, Any]]:
    zones = {z["id"]: ZoneConfig.model_validate(z) for z in scenario.camera.get("zones", [])}
    person = list(detector.class_names).index("person")
    results = []
    for hand in scenario.counts:
        picture = frame_at(clip, hand.at_s)
        zone = Zone(zones[hand.zone])
        persons = detector.detect(picture).of_classes([person])
        counted = int(zone.contains(persons, picture.width, picture.height).sum())
        results.append(
            {
                "scenario": scenario.name,
                "at_s": hand.at_s,
                "hand": hand.persons,
                "counted": counted,
                "error": counted - hand.persons,
            }
        )
    return results
