"""``gridwatch edge run``: never imports central, FastAPI or SQLAlchemy."""

from __future__ import annotations

import argparse
import sys

from gridwatch.commands.signals import stop_on_signals
from gridwatch.paths import AssetPaths
from gridwatch_edge.config import load_edge_config
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.runtime import run_edge


def run(args: argparse.Namespace) -> int:
    paths = AssetPaths.from_environment()
    try:
        config = load_edge_config(args.config)
        return run_edge(
            config,
            models_dir=paths.models_dir,
            manifest_dirs=list(paths.manifest_dirs),
            stop=stop_on_signals(),
        )
    except EdgeError as error:  # configuration, model and source problems found at start
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
