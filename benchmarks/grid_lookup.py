"""Grid lookups per second on a synthetic district of 10,000 micro-grids.

    .venv/bin/python -m benchmarks.grid_lookup [--micro-grids 10000] [--lookups 50000]

Builds a regular 3-level grid (towns → communities → micro-grids, all squares so building it is
quick), validates it with central's own validator, then times ``GridIndex.locate`` — the call
ingest makes for every alert — on random points inside the district. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from typing import Any

from shapely.geometry import box

from gridwatch_central.grid import GridCell, GridCodeScheme, GridIndex
from gridwatch_central.grid.validation import check_cells

DISTRICT = "500240"
ORIGIN = (108.36, 30.20)  # lon, lat of the south-west corner
MICRO_SIZE = 0.001  # degrees: ~100 m squares, a dense urban micro-grid


def synthetic_grid(micro_grids: int) -> list[GridCell]:
    """Towns of 10x10 communities, communities of 10x10 micro-grids (square counts rounded up)."""
    per_side = math.ceil(math.sqrt(micro_grids))
    cells: list[GridCell] = []
    community_side = 10 * MICRO_SIZE
    communities_per_side = math.ceil(per_side / 10)
    town_side = 10 * community_side
    towns_per_side = math.ceil(communities_per_side / 10)
    for ty in range(towns_per_side):
        for tx in range(towns_per_side):
            town = f"{DISTRICT}{ty * towns_per_side + tx + 1:03d}000000"
            x0, y0 = ORIGIN[0] + tx * town_side, ORIGIN[1] + ty * town_side
            cells.append(_cell(town, 1, None, x0, y0, side=town_side))
            cells += _communities(town, x0, y0)
    micro = [c for c in cells if c.level == 3][:micro_grids]
    return [c for c in cells if c.level < 3] + micro


def _communities(town: str, x0: float, y0: float) -> list[GridCell]:
    cells: list[GridCell] = []
    side = 10 * MICRO_SIZE
    for cy in range(10):
        for cx in range(10):
            community = f"{town[:9]}{cy * 10 + cx + 1:03d}000"
            cx0, cy0 = x0 + cx * side, y0 + cy * side
            cells.append(_cell(community, 2, town, cx0, cy0, side=side))
            for my in range(10):
                for mx in range(10):
                    code = f"{community[:12]}{my * 10 + mx + 1:03d}"
                    x, y = cx0 + mx * MICRO_SIZE, cy0 + my * MICRO_SIZE
                    cells.append(_cell(code, 3, community, x, y, side=MICRO_SIZE))
    return cells


def _cell(
    code: str, level: int, parent: str | None, x: float, y: float, *, side: float
) -> GridCell:
    return GridCell(code, code, level, parent, box(x, y, x + side, y + side))


def run(micro_grids: int, lookups: int, seed: int) -> dict[str, Any]:
    cells = synthetic_grid(micro_grids)
    started = time.perf_counter()
    index = GridIndex(cells)
    build_s = time.perf_counter() - started
    micro = [c for c in cells if c.level == 3]
    minx = min(c.geometry.bounds[0] for c in micro)
    miny = min(c.geometry.bounds[1] for c in micro)
    maxx = max(c.geometry.bounds[2] for c in micro)
    maxy = max(c.geometry.bounds[3] for c in micro)
    rng = random.Random(seed)
    points = [(rng.uniform(miny, maxy), rng.uniform(minx, maxx)) for _ in range(lookups)]
    index.locate(*points[0])  # warm up
    started = time.perf_counter()
    found = sum(1 for lat, lon in points if index.locate(lat, lon) is not None)
    elapsed = time.perf_counter() - started
    validate_started = time.perf_counter()
    problems = check_cells(cells, GridCodeScheme())
    validate_s = time.perf_counter() - validate_started
    return {
        "benchmark": "grid_lookup",
        "micro_grids": len(micro),
        "cells": len(cells),
        "lookups": lookups,
        "located": found,
        "lookups_per_s": round(lookups / elapsed),
        "mean_us": round(1e6 * elapsed / lookups, 2),
        "index_build_s": round(build_s, 3),
        "validate_s": round(validate_s, 2),
        "validation_problems": len(problems),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--micro-grids", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    print(json.dumps(run(options.micro_grids, options.lookups, options.seed)))


if __name__ == "__main__":
    main()
