"""``gridwatch edge run``: never imports central, FastAPI or SQLAlchemy."""

from __future__ import annotations

import argparse
import sys

from gridwatch.commands.signals import stop_on_signals
from gridwatch.paths import AssetPaths
from gridwatch_contract.broker import BrokerConfigError
from gridwatch_edge.config import load_edge_config
from gridwatch_edge.detector import load_detector
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.replay import alert_json_line, replay
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
    # Configuration, model, source and broker credential problems found at start.
    except (EdgeError, BrokerConfigError) as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2


def replay_command(args: argparse.Namespace) -> int:
    """Print each alert of the config's file cameras as one JSON line, as fast as possible."""
    paths = AssetPaths.from_environment()
    try:
        config = load_edge_config(args.config)
        detector = load_detector(
            config.detector, models_dir=paths.models_dir, manifest_dirs=list(paths.manifest_dirs)
        )
        replay(config, detector, on_alert=lambda alert: print(alert_json_line(alert), flush=True))
    except EdgeError as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
    return 0
