"""``gridwatch models``: which model manifests exist and whether their weights are in place."""

from __future__ import annotations

import argparse

from gridwatch.paths import AssetPaths
from gridwatch_edge.detector.manifest import (
    ModelFileState,
    discover_manifests,
    verify_model_file,
)


def main(args: argparse.Namespace) -> int:
    return print_models(AssetPaths.from_environment(), verify=args.verify)


def print_models(paths: AssetPaths, *, verify: bool) -> int:
    """Print one line per manifest; exit status 1 when a file is missing or does not match."""
    manifests = discover_manifests(list(paths.manifest_dirs))
    if not manifests:
        print(f"no model manifests found in {', '.join(map(str, paths.manifest_dirs))}")
        return 1
    print(f"models directory: {paths.models_dir.resolve()} (GRIDWATCH_MODELS_DIR)")
    problems = 0
    for name, manifest in sorted(manifests.items()):
        path = manifest.path_in(paths.models_dir)
        if verify:
            status = verify_model_file(manifest, paths.models_dir)
            state, actual = status.state, status.actual_sha256
        else:
            state = ModelFileState.PRESENT if path.is_file() else ModelFileState.MISSING
            actual = None
        problems += state is not ModelFileState.PRESENT
        print(f"{name:16} {manifest.format:12} {manifest.license:14} {state.value:18} {path}")
        if state is ModelFileState.MISSING:
            print(f"{'':16} obtain: {manifest.source.strip()}")
        elif state is ModelFileState.CHECKSUM_MISMATCH:
            print(f"{'':16} sha256 {actual} != manifest {manifest.sha256}")
    return 1 if problems else 0
