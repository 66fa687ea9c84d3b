"""``gridwatch central serve``: never imports OpenCV or onnxruntime."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gridwatch_central.config import ConfigError, load_central_config
from gridwatch_central.grid import GridError
from gridwatch_central.runtime import serve
from gridwatch_contract.broker import BrokerConfigError


def serve_command(args: argparse.Namespace) -> int:
    try:
        serve(load_central_config(args.config))
    except (ConfigError, GridError, BrokerConfigError) as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
    return 0


def serve_argv(config: Path) -> list[str]:
    """The command line that runs ``gridwatch central serve`` with this Python, for tools and
    tests that start central as a process of its own."""
    return [sys.executable, "-m", "gridwatch", "central", "serve", "--config", str(config)]
