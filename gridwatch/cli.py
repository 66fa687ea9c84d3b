"""The ``gridwatch`` command: one entry point with a subcommand per job.

Each subcommand lives in its own module under ``gridwatch.commands`` and is imported only when
it runs, so ``gridwatch central serve`` never loads OpenCV or onnxruntime and
``gridwatch edge run`` never loads FastAPI or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from gridwatch import __version__

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return _resolve(args.handler)(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridwatch", description=__doc__)
    parser.add_argument("--version", action="version", version=f"gridwatch {__version__}")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning"])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run broker, central and one edge on the sample clip")
    demo.add_argument("--seconds", type=float, help="stop by itself after this many seconds")
    demo.add_argument("--http-port", type=int, default=8000, help="central API port (default 8000)")
    demo.add_argument("--data-dir", type=Path, help="where the demo keeps its database")
    demo.set_defaults(handler="gridwatch.commands.demo:main")

    edge = commands.add_parser("edge", help="edge worker").add_subparsers(required=True)
    edge_run = edge.add_parser("run", help="run the cameras of one box")
    edge_run.add_argument("--config", type=Path, required=True, help="edge YAML file")
    edge_run.set_defaults(handler="gridwatch.commands.edge:run")
    edge_replay = edge.add_parser(
        "replay", help="run the file cameras to their end, print alerts as JSON lines"
    )
    edge_replay.add_argument("--config", type=Path, required=True, help="edge YAML file")
    edge_replay.set_defaults(handler="gridwatch.commands.edge:replay_command")

    central = commands.add_parser("central", help="central service").add_subparsers(required=True)
    serve = central.add_parser("serve", help="ingest alerts and serve the API")
    serve.add_argument("--config", type=Path, required=True, help="central YAML file")
    serve.set_defaults(handler="gridwatch.commands.central:serve_command")

    models = commands.add_parser("models", help="list model manifests and check the weights")
    models.add_argument("--verify", action="store_true", help="also check sha256 of each file")
    models.set_defaults(handler="gridwatch.commands.models:main")
    return parser


def _resolve(reference: str) -> Handler:
    """``module:function`` → the function, importing the module only now."""
    module_name, function_name = reference.split(":")
    return cast(Handler, getattr(importlib.import_module(module_name), function_name))
