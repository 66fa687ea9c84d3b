"""``gridwatch models``: which model manifests exist and whether their weights are in place."""

from __future__ import annotations

import argparse

from gridwatch.paths import AssetPaths
from gridwatch_edge.detector.manifest import (
    ModelFileState,
    ModelFileStatus,
    discover_manifests,
    verify_model_file,
)

# What each state is called on screen. With --verify a file whose sha256 matched the manifest
# is "verified"; without it only its presence was checked, so it is merely "present".
_VERIFIED = "verified"
_LABELS = {
    ModelFileState.PRESENT: "present",
    ModelFileState.MISSING: "missing",
    ModelFileState.CHECKSUM_MISMATCH: "CHECKSUM MISMATCH",
}


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
        else:
            state = ModelFileState.PRESENT if path.is_file() else ModelFileState.MISSING
            status = ModelFileStatus(manifest, path, state)
        problems += status.state is not ModelFileState.PRESENT
        label = _label(status, verified=verify)
        print(f"{name:16} {manifest.format:12} {manifest.license:14} {label:18} {path}")
        for line in _explanation(status):
            print(f"{'':16} {line}")
    if verify:
        print("all model files verified" if not problems else f"{problems} model file(s) FAILED")
    return 1 if problems else 0


def _label(status: ModelFileStatus, *, verified: bool) -> str:
    if status.state is ModelFileState.PRESENT and verified:
        return _VERIFIED
    return _LABELS[status.state]


def _explanation(status: ModelFileStatus) -> list[str]:
    """What went wrong with one file and what to do about it; nothing for a good file."""
    manifest = status.manifest
    if status.state is ModelFileState.MISSING:
        return [f"file not found; obtain: {manifest.source.strip()}"]
    if status.state is ModelFileState.CHECKSUM_MISMATCH:
        return [
            f"sha256 of the file: {status.actual_sha256}",
            f"manifest expects:   {manifest.sha256}",
            "the file is damaged or a different export; download it again from:"
            f" {manifest.source.strip()}",
        ]
    return []
