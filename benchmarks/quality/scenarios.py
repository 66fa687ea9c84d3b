"""Scenarios of the evaluation: what runs on which clip, and what a person expects to see."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.quality import compositing
from benchmarks.quality.inject import Injection

SCENARIOS_FILE = Path(__file__).with_name("scenarios.yaml")
SAMPLE_CLIP = "vtest.avi"


@dataclass(frozen=True)
class Expected:
    rule: str
    at_s: float


@dataclass(frozen=True)
class HandCount:
    at_s: float
    zone: str
    persons: int


@dataclass(frozen=True)
class Scenario:
    name: str
    clip: dict[str, Any]
    camera: dict[str, Any]
    expected: list[Expected]
    complete: bool
    injections: list[Injection]
    counts: list[HandCount]


def load_scenarios(path: Path = SCENARIOS_FILE) -> list[Scenario]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [_scenario(item) for item in document["scenarios"]]


def _scenario(item: dict[str, Any]) -> Scenario:
    return Scenario(
        name=item["name"],
        clip=item["clip"],
        camera=item["camera"],
        expected=[Expected(e["rule"], float(e["at_s"])) for e in item.get("expected", [])],
        complete=bool(item.get("complete", True)),
        injections=[
            Injection(i["class"], tuple(i["box"]), float(i["score"]), float(i["probability"]))
            for i in item.get("inject", [])
        ],
        counts=[
            HandCount(float(c["at_s"]), c["zone"], int(c["persons"]))
            for c in item.get("counts", [])
        ],
    )


def make_clip(clip: dict[str, Any], samples_dir: Path, cache_dir: Path) -> Path:
    """The scenario's clip: the sample itself, or a composite made once into ``cache_dir``."""
    source = samples_dir / SAMPLE_CLIP
    kind = clip["kind"]
    if kind == "vtest":
        return source
    key = hashlib.sha256(json.dumps(clip, sort_keys=True).encode()).hexdigest()[:12]
    target = cache_dir / f"{kind}-{key}.avi"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.avi")
    match kind:
        case "suitcase_on_top":
            box = tuple(clip["box"])
            compositing.composite_clip(source, partial, from_s=clip["from_s"], box=box)
        case "occluded_object":
            box = tuple(clip["box"])
            compositing.occluded_object_clip(source, partial, from_s=clip["from_s"], box=box)
        case "mirrored":
            compositing.mirrored_clip(source, partial)
        case "tiled":
            compositing.tiled_clip(source, partial)
        case _:
            raise ValueError(f"unknown clip kind {kind!r}")
    partial.rename(target)
    return target
