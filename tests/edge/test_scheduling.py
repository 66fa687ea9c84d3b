"""The edge's worker threads get the configured Linux scheduling, each thread on its own."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector.base import Detector
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.scheduling import schedule_this_thread
from gridwatch_edge.shared_detector import SharedDetector
from gridwatch_edge.sinks import CollectingSink

pytestmark = pytest.mark.skipif(
    not hasattr(os, "SCHED_BATCH"), reason="Linux scheduling policies only"
)


def _in_thread(action: Callable[[], None]) -> tuple[int, int]:
    """Run ``action`` in a fresh thread; that thread's (policy, nice) afterwards."""
    seen: list[tuple[int, int]] = []

    def body() -> None:
        action()
        nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen.append((os.sched_getscheduler(0), nice))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return seen[0]


def test_batch_sets_sched_batch_on_the_calling_thread_only() -> None:
    before = os.sched_getscheduler(0)
    policy, _ = _in_thread(lambda: schedule_this_thread("batch"))
    assert policy == os.SCHED_BATCH
    assert os.sched_getscheduler(0) == before  # the thread that started it is untouched


def test_niceness_is_applied_with_the_policy() -> None:
    assert _in_thread(lambda: schedule_this_thread("batch", niceness=7)) == (os.SCHED_BATCH, 7)


def test_normal_undoes_an_inherited_batch_policy() -> None:
    def batch_then_normal() -> None:
        schedule_this_thread("batch")
        schedule_this_thread("normal")

    assert _in_thread(batch_then_normal)[0] == os.SCHED_OTHER


def _policies_once_running(name_prefix: str, count: int) -> list[int]:
    """Policies of the threads named ``name_prefix*`` once ``count`` of them are batch (each
    thread sets its own policy when it starts) or after two seconds."""
    deadline = time.monotonic() + 2.0
    while True:
        policies = [
            os.sched_getscheduler(thread.native_id)
            for thread in threading.enumerate()
            if thread.name.startswith(name_prefix) and thread.native_id is not None
        ]
        if policies.count(os.SCHED_BATCH) >= count or time.monotonic() > deadline:
            return policies
        time.sleep(0.02)


def test_inference_workers_run_with_the_configured_policy(yolox: Detector) -> None:
    shared = SharedDetector(yolox, workers=2, scheduling="batch")
    shared.start()
    try:
        shared.detect(np.zeros((64, 64, 3), np.uint8))
        assert _policies_once_running("inference-", 2) == [os.SCHED_BATCH] * 2
    finally:
        shared.close()


def test_runtime_schedules_cameras_readers_and_workers_as_configured(
    yolox: Detector, vtest_clip: Path
) -> None:
    config = parse_edge_config(
        {
            "edge_id": "sched",
            "cpu_scheduling": "batch",
            "sources": {"reader_niceness": 5},
            "cameras": [{"id": "cam1", "url": str(vtest_clip), "realtime": True}],
        }
    )
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink())
    runtime.start()
    try:
        for prefix in ("camera-cam1", "reader-cam1", "inference-"):
            assert _policies_once_running(prefix, 1)[:1] == [os.SCHED_BATCH], prefix
        reader = next(t for t in threading.enumerate() if t.name == "reader-cam1")
        assert reader.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, reader.native_id) == 5
    finally:
        runtime.stop()


def test_normal_scheduling_leaves_the_threads_as_they_were(
    yolox: Detector, vtest_clip: Path
) -> None:
    config = parse_edge_config(
        {
            "edge_id": "sched",
            "cpu_scheduling": "normal",
            "cameras": [{"id": "cam1", "url": str(vtest_clip), "realtime": True}],
        }
    )
    runtime = EdgeRuntime(config, detector=yolox, sink=CollectingSink())
    runtime.start()
    try:
        # The camera thread sets its policy before it starts its reader, so once the reader
        # has started both have settled.
        reader = _started_thread("reader-cam1")
        camera = _started_thread("camera-cam1")
        assert reader.native_id is not None
        assert camera.native_id is not None
        assert os.sched_getscheduler(camera.native_id) == os.SCHED_OTHER
        assert os.sched_getscheduler(reader.native_id) == os.SCHED_OTHER
    finally:
        runtime.stop()


def _started_thread(name: str) -> threading.Thread:
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        for thread in threading.enumerate():
            if thread.name == name and thread.native_id is not None:
                return thread
        time.sleep(0.02)
    raise AssertionError(f"thread {name} never started")
