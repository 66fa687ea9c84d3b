"""Central's decode cost per alert: the framed form the edge sends vs the same alert as JSON.

``python -m benchmarks.alert_decode [--number 5000] [--repeat 7]``

Both payloads come from the central benchmark's ``PayloadFactory`` (a ~30 KB JPEG, six
objects): the framed one as published, the JSON one by re-encoding its decoded alert with
``encode_message`` (base64 snapshot inline). Best of ``--repeat`` runs of ``--number`` decodes.
Last line: one JSON object. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import timeit
import uuid

from benchmarks.central import PayloadFactory, _snapshot_jpeg
from gridwatch_contract.codec import decode_alert, encode_message


def _best_us(payload: bytes, number: int, repeat: int) -> float:
    runs = timeit.repeat(lambda: decode_alert(payload), number=number, repeat=repeat)
    return min(runs) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    _alert_id, framed = PayloadFactory(_snapshot_jpeg()).payload(1, uuid.uuid4())
    plain = encode_message(decode_alert(framed))
    assert decode_alert(plain) == decode_alert(framed)
    header = framed[: framed.index(b"\x00")]
    result = {
        "framed_bytes": len(framed),
        "framed_header_bytes": len(header),
        "json_bytes": len(plain),
        "framed_decode_us": round(_best_us(framed, args.number, args.repeat), 1),
        "json_decode_us": round(_best_us(plain, args.number, args.repeat), 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
