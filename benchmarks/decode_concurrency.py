"""Does decoding many cameras at once cost more than decoding a few?

    python -m benchmarks.decode_concurrency [--streams 44] [--seconds 12]

Runs the runtime's decoder settings (one thread per decoder, non-reference frames skipped, no
deblocking) flat out on copies of ``vtest_720p25.mp4`` three ways: one thread per core, one
thread per stream, and one thread per core taking the streams in turn in bursts of a GOP. If
many threads or cold caches cost much, the second and third differ from the first.

Last line: one JSON object of packets/s per way. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av

from benchmarks.parallel import run_slots

REPO_ROOT = Path(__file__).resolve().parents[1]
CLIP_NAME = "vtest_720p25.mp4"
# The clip's keyframe interval: a burst of one GOP keeps one stream's references in cache.
GOP_PACKETS = 50


class Decoder:
    """One stream of the clip, reopened at its end, decoded as the runtime's default does."""

    def __init__(self, clip: Path) -> None:
        self._clip = clip
        self._container: Any = None
        self._packets: Iterator[Any] = iter(())
        self._codec: Any = None
        self._open()

    def _open(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = av.open(str(self._clip))
        stream = self._container.streams.video[0]
        self._codec = stream.codec_context
        self._codec.thread_count = 1
        self._codec.skip_frame = "NONREF"
        self._codec.options = {"skip_loop_filter": "all"}
        self._packets = self._container.demux(stream)

    def decode(self, packets: int) -> int:
        done = 0
        while done < packets:
            packet = next(self._packets, None)
            if packet is None or packet.size == 0:
                self._open()
                continue
            self._codec.decode(packet)
            done += 1
        return done

    def close(self) -> None:
        self._container.close()


def rate(groups: list[list[Decoder]], burst: int, seconds: float) -> float:
    """Packets/s with one thread per group, each taking its decoders in turn."""
    totals = [0] * len(groups)
    deadline = time.monotonic() + seconds

    def work(index: int) -> None:
        while time.monotonic() < deadline:
            for decoder in groups[index]:
                totals[index] += decoder.decode(burst)

    elapsed_s = run_slots(work, len(groups))  # before summing: the threads fill totals
    return sum(totals) / elapsed_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--streams", type=int, default=44)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args(argv)
    samples = Path(os.environ.get("GRIDWATCH_SAMPLES_DIR", REPO_ROOT.parent / "shared/video"))
    clip = samples / CLIP_NAME
    if not clip.is_file():
        parser.error(f"{clip} not found; set GRIDWATCH_SAMPLES_DIR")
    cores = len(os.sched_getaffinity(0))
    result: dict[str, Any] = {"cores": cores, "streams": args.streams}
    ways = {
        "thread_per_core": (cores, cores, 1),
        "thread_per_stream": (args.streams, args.streams, 1),
        "thread_per_core_gop_bursts": (args.streams, cores, GOP_PACKETS),
    }
    for name, (streams, threads, burst) in ways.items():
        decoders = [Decoder(clip) for _ in range(streams)]
        groups = [decoders[i::threads] for i in range(threads)]
        result[f"{name}_packets_per_s"] = round(rate(groups, burst, args.seconds))
        for decoder in decoders:
            decoder.close()
        print(f"{name}: {result[f'{name}_packets_per_s']} packets/s", flush=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
