"""``gridwatch demo``."""

from __future__ import annotations

import argparse
import os

from gridwatch.commands.signals import stop_on_signals
from gridwatch.demo import DemoOptions, run_demo
from gridwatch.paths import AssetPaths


def main(args: argparse.Namespace) -> int:
    options = DemoOptions(
        seconds=args.seconds,
        http_port=args.http_port,
        data_dir=args.data_dir,
        broker_url=os.environ.get("GRIDWATCH_MQTT_URL"),
        console=args.console,
    )
    return run_demo(options, AssetPaths.from_environment(), stop=stop_on_signals())
