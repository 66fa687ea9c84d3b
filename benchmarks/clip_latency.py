"""How long after an event opens its evidence clip is stored at central, from real RTSP cameras.

    python -m benchmarks.clip_latency [--cameras 4] [--seconds 150] [--pre 5] [--post 10]

A GStreamer RTSP camera on loopback (``tools/rtsp_server.py``, Debian's python3-gi) streams
``vtest_720p25.mp4`` (1280x720, 25 fps, H.264) in a loop; the edge opens it ``--cameras``
times (one RTSP session each, as separate cameras), analyses it with YOLOX-Nano and line
rules across the walkway, and sends alerts and clips through a private Mosquitto to the real
central (SQLite, a temporary folder). Latency of one clip: central's ``stored_at`` of the clip
minus the edge's ``updated_at`` of the ``new`` alert that announced it (one machine, one
clock). Events opened in the last ``post + 20`` s are not counted (their clips may still be
on their way when the run ends); every counted clip that is not stored is reported missing.
An update while a clip records extends it to ``post`` after the update, so those clips come
later by design; they are reported apart from the others, and so is the time from a clip's
last frame to its being stored (cutting, muxing, filing, uploading).

The last line printed is one JSON object. Measurements only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import av
from sqlalchemy import select

from gridwatch.mosquitto import ManagedMosquitto, free_port
from gridwatch_central.config import CentralConfig
from gridwatch_central.db.tables import AlertRow, ClipRow
from gridwatch_central.runtime import CentralRuntime
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import load_detector
from gridwatch_edge.outbox import open_outbox
from gridwatch_edge.publisher import MqttPublisher
from gridwatch_edge.runtime import EdgeRuntime, clips_for_edge

REPO_ROOT = Path(__file__).resolve().parents[1]
CLIP_NAME = "vtest_720p25.mp4"
SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-gi lives
GRID_FILE = REPO_ROOT / "configs" / "grid" / "example-district.geojson"
ANALYSIS_FPS = 2.0
# Lines across the walkway: each sample-clip loop opens events every few seconds per camera.
RULES: list[dict[str, Any]] = [
    {"type": "line_crossing", "id": f"line{i}", "line": [[x, 0.0], [x, 1.0]], "end_after_s": 1}
    for i, x in enumerate([0.35, 0.5, 0.65])
]
# Clips of events opened this close to the end may still be on their way.
TAIL_S = 20.0
GOP_S = 2.0  # vtest_720p25.mp4: a keyframe every 50 frames


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def start_camera(clip: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        SYSTEM_PYTHON,
        str(REPO_ROOT / "tools" / "rtsp_server.py"),
        "--port",
        str(free_port()),
        "--clip",
        str(clip),
        "--mount",
        "/main",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("READY "):
        process.kill()
        raise SystemExit(f"RTSP server did not start: {line!r}")
    url = line.removeprefix("READY ")
    warm_up(url)
    return process, url


def warm_up(url: str) -> None:
    """One client reads a few packets before the cameras connect: GStreamer prepares a shared
    media for its first client, and several clients arriving while it does were seen failing
    (``Operation not permitted``), leaving every camera offline for the run."""
    with av.open(url, options={"rtsp_transport": "tcp"}, timeout=(10, 10)) as container:
        for index, _packet in enumerate(container.demux(video=0)):
            if index >= 25:
                break


def measure(args: argparse.Namespace, clip: Path, models: Path, workdir: Path) -> dict[str, Any]:
    camera, url = start_camera(clip)
    try:
        with ManagedMosquitto() as broker:
            central = CentralRuntime(
                CentralConfig(
                    database_url=f"sqlite:///{workdir / 'central.db'}",
                    broker=broker.config,
                    client_id=f"bench-central-{uuid.uuid4().hex[:6]}",
                    grid_file=GRID_FILE,
                    snapshot_dir=workdir / "snapshots",
                    snapshot_retention_days=None,
                )
            )
            central.start()
            try:
                run_edge(args, url, broker, models, workdir)
                return figures(central, args)
            finally:
                central.stop()
    finally:
        camera.terminate()
        camera.wait(10)


def run_edge(
    args: argparse.Namespace, url: str, broker: ManagedMosquitto, models: Path, workdir: Path
) -> None:
    config = parse_edge_config(
        {
            "edge_id": "bench-edge",
            "broker": broker.config.model_dump(mode="json"),
            "cameras": [
                {"id": f"cam{i}", "url": url, "analysis_fps": ANALYSIS_FPS, "rules": RULES}
                for i in range(args.cameras)
            ],
            "outbox": {"path": str(workdir / "outbox.db")},
            "clips": {"pre_s": args.pre, "post_s": args.post, "path": str(workdir / "clips")},
        }
    )
    detector = load_detector(
        config.detector, models_dir=models, manifest_dirs=[REPO_ROOT / "models"]
    )
    outbox = open_outbox(config.outbox)
    publisher = MqttPublisher.for_edge(config, outbox)
    clips = clips_for_edge(config, publisher)
    assert clips is not None
    runtime = EdgeRuntime(config, detector=detector, sink=publisher, clips=clips)
    clips.start()
    publisher.start()
    runtime.start()
    try:
        time.sleep(args.seconds)
    finally:
        runtime.stop()
        clips.stop()
        clips.drain(args.post + 10)
        publisher.close()
        clips.close()
        outbox.close()


def figures(central: CentralRuntime, args: argparse.Namespace) -> dict[str, Any]:
    with central.sessions() as session:
        opened = session.execute(
            select(AlertRow.clip_id, AlertRow.updated_at).where(
                AlertRow.state == "new", AlertRow.clip_id.is_not(None)
            )
        ).all()
        clips = {row.clip_id: row for row in session.scalars(select(ClipRow))}
    if not opened:
        return {"events": 0}
    last = max(at for _clip, at in opened)
    counted = [(clip_id, at) for clip_id, at in opened if (last - at).total_seconds() > TAIL_S]
    latencies, plain, after_end, durations, missing = [], [], [], [], 0
    # A clip no update extended lasts at most pre + post + one GOP (2 s in this footage).
    plain_max_s = args.pre + args.post + GOP_S + 0.5
    for clip_id, at in counted:
        row = clips.get(clip_id) if clip_id is not None else None
        if row is None or row.status != "stored" or row.starts_at is None or row.ends_at is None:
            missing += 1
            continue
        latency = (row.stored_at - at).total_seconds()
        duration = (row.ends_at - row.starts_at).total_seconds()
        latencies.append(latency)
        durations.append(duration)
        after_end.append((row.stored_at - row.ends_at).total_seconds())
        if duration <= plain_max_s:
            plain.append(latency)
    return {
        "cameras": args.cameras,
        "pre_s": args.pre,
        "post_s": args.post,
        "events": len(opened),
        "counted": len(counted),
        "missing": missing,
        "latency_p50_s": _round(percentile(latencies, 0.5)),
        "latency_p95_s": _round(percentile(latencies, 0.95)),
        "latency_max_s": _round(max(latencies) if latencies else None),
        "target_p95_s": args.post + 5,
        # Clips no update extended (an update while recording moves the end to post_s after it).
        "unextended": len(plain),
        "unextended_latency_p95_s": _round(percentile(plain, 0.95)),
        # From the clip's last frame to stored at central: cutting, muxing, filing, uploading.
        "after_last_frame_p50_s": _round(percentile(after_end, 0.5)),
        "after_last_frame_p95_s": _round(percentile(after_end, 0.95)),
        "clip_duration_p50_s": _round(percentile(durations, 0.5)),
        "clip_duration_max_s": _round(max(durations) if durations else None),
        "clip_mb_p50": _round(
            percentile([(c.size_bytes or 0) / 1e6 for c in clips.values() if c.size_bytes], 0.5)
        ),
        "cpu_cores": len(os.sched_getaffinity(0)),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--pre", type=float, default=5.0)
    parser.add_argument("--post", type=float, default=10.0)
    args = parser.parse_args(argv)
    samples = Path(os.environ.get("GRIDWATCH_SAMPLES_DIR", REPO_ROOT.parent / "shared/video"))
    models = Path(os.environ.get("GRIDWATCH_MODELS_DIR", REPO_ROOT.parent / "shared/models"))
    clip = samples / CLIP_NAME
    if not clip.is_file():
        parser.error(f"{clip} not found; set GRIDWATCH_SAMPLES_DIR")
    workdir = Path(tempfile.mkdtemp(prefix="gridwatch-clip-latency-"))
    try:
        result = measure(args, clip, models, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
