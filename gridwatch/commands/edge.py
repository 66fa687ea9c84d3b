"""``gridwatch edge run``: never imports central, FastAPI or SQLAlchemy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gridwatch.commands.signals import stop_on_signals
from gridwatch.paths import AssetPaths
from gridwatch_contract.broker import BrokerConfigError
from gridwatch_contract.messages import AlertMessage
from gridwatch_edge.config import load_edge_config
from gridwatch_edge.detector import load_detector
from gridwatch_edge.drawing import DrawError, write_setup_png
from gridwatch_edge.errors import EdgeError
from gridwatch_edge.pipeline import MediaWindow
from gridwatch_edge.replay import (
    ReplayScope,
    alert_json_line,
    replay_run,
    save_snapshot,
    summary_text,
)
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
    """Print each alert of the config's file cameras as one JSON line, as fast as possible,
    then a summary of the run on stderr."""
    paths = AssetPaths.from_environment()
    scope = ReplayScope(
        cameras=args.camera, rules=args.rule, window=MediaWindow(args.start, args.end)
    )
    snapshots: Path | None = args.snapshots

    def on_alert(alert: AlertMessage) -> None:
        print(alert_json_line(alert), flush=True)
        if snapshots is not None:
            save_snapshot(alert, snapshots)

    try:
        config = load_edge_config(args.config)
        detector = load_detector(
            config.detector, models_dir=paths.models_dir, manifest_dirs=list(paths.manifest_dirs)
        )
        result = replay_run(config, detector, on_alert=on_alert, scope=scope)
    except EdgeError as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
    print(summary_text(result), file=sys.stderr, flush=True)
    return 0


def draw_command(args: argparse.Namespace) -> int:
    """Write a PNG of one camera's frame with its zones, lines and masks; print its path."""
    try:
        config = load_edge_config(args.config)
        cameras = {camera.id: camera for camera in config.cameras}
        if not cameras:
            raise DrawError(f"{args.config} has no camera")
        camera_id = args.camera or config.cameras[0].id
        if camera_id not in cameras:
            raise DrawError(f"no camera {camera_id!r} in {args.config}")
        out = args.out or Path(f"{camera_id}-setup.png")
        print(write_setup_png(cameras[camera_id], args.at, out))
    except EdgeError as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
    return 0
