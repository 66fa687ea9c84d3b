"""Snapshots of earlier versions: one file per image at ``ab/cd/<sha256>``.

No longer written; read when an image has no index row, and deleted by age as they always were.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from gridwatch_central.snapshots.names import is_sha256


@dataclass(frozen=True, slots=True)
class LegacyPruneCount:
    deleted: int
    kept_referenced: int
    freed_bytes: int


def legacy_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def read_legacy(root: Path, sha256: str) -> bytes | None:
    try:
        return legacy_path(root, sha256).read_bytes()
    except FileNotFoundError:
        return None


def prune_legacy(root: Path, cutoff: float, keep: Collection[str]) -> LegacyPruneCount:
    """Delete single-file images last written before ``cutoff`` whose hash is not in ``keep``."""
    deleted = kept = freed = 0
    for path in root.glob("??/??/*"):
        name = path.name
        stat = _stat(path)
        if stat is None or stat.st_mtime >= cutoff:
            continue
        if not is_sha256(name):
            if name.startswith(".tmp-"):
                path.unlink(missing_ok=True)  # left behind by a crash mid-write
            continue
        if name in keep:
            kept += 1
            continue
        path.unlink(missing_ok=True)
        deleted += 1
        freed += stat.st_size
    return LegacyPruneCount(deleted=deleted, kept_referenced=kept, freed_bytes=freed)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:  # another central process pruned it first
        return None
