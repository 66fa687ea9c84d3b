"""``gridwatch sensors simulate``: play realistic sensor traces into a real broker.

Each trace (``gridwatch.sensor_traces``) is played for its own sensor, ``PREFIX + trace``;
``--registry`` prints those sensors as JSON for ``POST /api/v1/sensors/import`` first. The
simulated gateway waits for central's receipts and says how many batches were stored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from gridwatch.sensor_gateway import GatewayError, SimulatedGateway
from gridwatch.sensor_traces import TRACES, Trace
from gridwatch_contract.broker import BrokerConfig, BrokerConfigError

BROKER_URL_ENV = "GRIDWATCH_BROKER_URL"
DEFAULT_BROKER_URL = "mqtt://127.0.0.1:1883"
# How long to wait for central's receipts after the last batch: generous for a loaded box.
RECEIPT_TIMEOUT_S = 30.0


def simulate_command(args: argparse.Namespace) -> int:
    unknown = [name for name in args.trace if name not in TRACES]
    if unknown:
        print(f"gridwatch: unknown trace(s) {unknown}; known: {sorted(TRACES)}", file=sys.stderr)
        return 2
    traces = [TRACES[name] for name in args.trace or sorted(TRACES)]
    if args.registry:
        print(json.dumps([_sensor(args, trace) for trace in traces], indent=2))
        return 0
    try:
        url = args.broker or os.environ.get(BROKER_URL_ENV, DEFAULT_BROKER_URL)
        broker = BrokerConfig.from_url(url, topic_prefix=args.topic_prefix)
        gateway = SimulatedGateway(broker, args.gateway)
        gateway.start()
    except (GatewayError, BrokerConfigError, ValueError) as error:
        print(f"gridwatch: {error}", file=sys.stderr)
        return 2
    try:
        for trace in traces:
            print(f"playing {trace.name} as {args.sensor_prefix}{trace.name}: {trace.description}")
            gateway.play(trace, f"{args.sensor_prefix}{trace.name}", speed=args.speed)
        complete = gateway.wait_for_receipts(RECEIPT_TIMEOUT_S)
    finally:
        gateway.close()
    statuses = [receipt.status for receipt in gateway.receipts.values()]
    rejected = sum(receipt.rejected_records for receipt in gateway.receipts.values())
    summary = {
        "batches": len(statuses),
        "stored": statuses.count("stored"),
        "duplicate": statuses.count("duplicate"),
        "rejected": statuses.count("rejected"),
        "rejected_records": rejected,
        "unanswered": gateway.unanswered,
    }
    print(json.dumps(summary))
    return 0 if complete else 1


def _sensor(args: argparse.Namespace, trace: Trace) -> dict[str, object]:
    return {
        "id": f"{args.sensor_prefix}{trace.name}",
        "gateway_id": args.gateway,
        "vendor_code": "SIM-1",
        "sensor_type": trace.sensor_type,
        "name": trace.description[:200],
        "lat": args.lat,
        "lon": args.lon,
    }
