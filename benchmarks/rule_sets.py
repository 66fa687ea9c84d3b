"""Named rule sets the edge benchmark's cameras run (``benchmarks.edge``).

``--rules-pair``: every camera of a trial gets the same realistic rule set on the sample clip:
a crowd zone on the road, a counting line, a no-parking zone by the van, a left-object zone on
the lawn and a road-blockage rule on the road. The sets differ only in defaults the
detection-quality work touched:

- ``old``: the defaults before detection-quality work, as far as a config can restore them
  (no camera object filter, the line's old dead-band-only crossing);
- ``new``: today's defaults;
- ``dense``: today's defaults with the crowd zone's dense second pass turned on.

``--clips``: ``lines``, three line-crossing rules across the sample clip's walkway, run with
and without clips so that events open (and with clips on, clips are cut) in both. They open an
event every few seconds per camera, far more often than a street camera does: the clip path at
a stress rate.
"""

from __future__ import annotations

from typing import Any

PAIR_RULES = ("old", "new", "dense")
CLIP_RULES = "lines"
RULE_SETS = (*PAIR_RULES, CLIP_RULES)

ZONES = [
    {
        "id": "road",
        "polygon": [
            [0.45, 0.3],
            [0.95, 0.25],
            [1.0, 0.45],
            [1.0, 0.78],
            [0.75, 0.72],
            [0.45, 0.55],
        ],
    },
    {"id": "van", "polygon": [[0.82, 0.1], [0.95, 0.1], [0.95, 0.22], [0.82, 0.22]]},
    {"id": "lawn", "polygon": [[0.15, 0.6], [0.45, 0.6], [0.45, 0.9], [0.15, 0.9]]},
]


def camera_rules(name: str) -> dict[str, Any]:
    """The ``zones``, ``rules`` (and ``filters``) keys of one benchmark camera."""
    if name not in RULE_SETS:
        raise ValueError(f"unknown rule set {name!r}; known: {', '.join(RULE_SETS)}")
    if name == CLIP_RULES:
        return {"rules": line_rules()}
    return pair_rules(name)


def line_rules() -> list[dict[str, Any]]:
    return [
        {"type": "line_crossing", "id": f"line{i}", "line": [[x, 0.0], [x, 1.0]], "end_after_s": 1}
        for i, x in enumerate([0.35, 0.5, 0.65])
    ]


def pair_rules(variant: str) -> dict[str, Any]:
    """One of ``PAIR_RULES``: the realistic set with old or today's defaults."""
    crowd: dict[str, Any] = {
        "type": "crowd", "id": "road-crowd", "zone": "road", "min_persons": 5, "min_duration_s": 1,
    }  # fmt: skip
    line: dict[str, Any] = {
        "type": "line_crossing",
        "id": "count",
        "line": [[0.5, 0.2], [0.5, 0.9]],
    }
    extra: dict[str, Any] = {}
    if variant == "old":
        extra["filters"] = {"max_area": 1.0}
        line.update(min_distance=0.1, min_time_s=0.0)
    if variant == "dense":
        crowd["dense_count"] = {}
    return {
        "zones": ZONES,
        "rules": [
            crowd,
            line,
            {"type": "illegal_parking", "id": "van", "zone": "van", "dwell_s": 10},
            {"type": "left_object", "id": "lawn-left", "zone": "lawn", "dwell_s": 10},
            {
                "type": "road_blockage",
                "id": "lane",
                "zone": "road",
                "dwell_s": 30,
                "large_object_min_area": 0.02,
            },
        ],
        **extra,
    }
