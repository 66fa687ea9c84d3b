"""The tuned crowd rule of the example config on the real clip, through the real detector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from gridwatch_contract import AlertMessage, AlertState, decode_alert, encode_message
from gridwatch_edge.config import parse_edge_config
from gridwatch_edge.detector import Detector
from gridwatch_edge.runtime import EdgeRuntime
from gridwatch_edge.sinks import CollectingSink
from tests.conftest import REPO_ROOT

EXAMPLE_CONFIG = REPO_ROOT / "configs" / "edge.example.yaml"
# Media times (s) of the tuned rule's crowd events, with its dense second pass (on in the
# example config):
# five or more people stand on the road from 3.6 s to about 30 s (checked on the frames at 9 s
# and 25 s: one walker half hidden by the sign post, two far up by the van), from 34 s and
# from 69.2 s.
EXPECTED_NEW_AT_S = [4.6, 35.0, 70.2]
# The frame-wide pass alone loses the half-hidden walker for a few seconds: the first crowd
# ends early and comes back at 11.6 s, the second starts late.
FRAME_WIDE_NEW_AT_S = [4.6, 11.6, 36.6, 70.2]
RUN_TIMEOUT_S = 120


def _clip_config(clip: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    camera = document["cameras"][0]
    camera.update(url=str(clip), realtime=False)
    # The wall of the building at the top left: nobody stands there in the whole clip.
    camera["zones"].append({"id": "wall", "polygon": [[0, 0], [0.3, 0], [0.3, 0.08], [0, 0.08]]})
    tuned = camera["rules"][0]
    camera["rules"] += [
        # Eight people stand in the zone at 14.4 s (counted on the frame), never ten.
        {**tuned, "id": "road-crowd-strict", "min_persons": 10, "min_duration_s": 2.0},
        {**tuned, "id": "road-crowd-wide", "dense_count": None},
        {
            "type": "crowd",
            "id": "wall-crowd",
            "zone": "wall",
            "min_persons": 1,
            "min_duration_s": 1,
        },
    ]
    return document


@pytest.fixture(scope="module")
def clip_run(yolox: Detector, vtest_clip: Path) -> tuple[list[AlertMessage], EdgeRuntime]:
    config = parse_edge_config(_clip_config(vtest_clip))
    sink = CollectingSink()
    runtime = EdgeRuntime(config, detector=yolox, sink=sink)
    runtime.start()
    try:
        assert runtime.wait(RUN_TIMEOUT_S), "the clip did not finish in time"
    finally:
        runtime.stop()
    return sink.alerts, runtime


def _of(alerts: list[AlertMessage], rule_id: str, state: AlertState) -> list[AlertMessage]:
    return [a for a in alerts if a.rule_id == rule_id and a.state is state]


def test_tuned_rule_raises_the_expected_crowd_events(
    clip_run: tuple[list[AlertMessage], EdgeRuntime],
) -> None:
    alerts, _ = clip_run
    new = _of(alerts, "road-crowd", AlertState.NEW)
    assert [a.media_time_s for a in new] == pytest.approx(EXPECTED_NEW_AT_S, abs=0.01)
    for alert in new:
        assert alert.measurements["person_count"] >= 5
        assert alert.measurements["density"] > alert.measurements["person_count"]
        assert len(alert.objects) >= 5
        assert {o.class_name for o in alert.objects} == {"person"}
        assert alert.location is not None
        assert alert.zone_id == "road"
        assert 0.3 <= alert.confidence <= 1


def test_without_the_dense_pass_the_frame_wide_count_loses_people(
    clip_run: tuple[list[AlertMessage], EdgeRuntime],
) -> None:
    alerts, _ = clip_run
    new = _of(alerts, "road-crowd-wide", AlertState.NEW)
    assert [a.media_time_s for a in new] == pytest.approx(FRAME_WIDE_NEW_AT_S, abs=0.01)


def test_every_event_ends_or_lasts_until_the_clip_ends(
    clip_run: tuple[list[AlertMessage], EdgeRuntime],
) -> None:
    alerts, _ = clip_run
    ended = {a.event_id for a in _of(alerts, "road-crowd", AlertState.END)}
    started = [a.event_id for a in _of(alerts, "road-crowd", AlertState.NEW)]
    assert len(ended) >= len(started) - 1  # the last may still be going at the end of the clip
    for event_id in started:
        sequences = [a.sequence for a in alerts if a.event_id == event_id]
        assert sequences == list(range(len(sequences)))


def test_snapshots_are_jpegs_of_the_frame(
    clip_run: tuple[list[AlertMessage], EdgeRuntime],
) -> None:
    alerts, _ = clip_run
    for alert in alerts:
        assert alert.snapshot is not None
        assert alert.snapshot.data is not None
        image = cv2.imdecode(np.frombuffer(alert.snapshot.data, np.uint8), cv2.IMREAD_COLOR)
        assert image is not None
        assert image.shape[:2] == (alert.snapshot.height, alert.snapshot.width)


def test_alerts_survive_the_wire_format(clip_run: tuple[list[AlertMessage], EdgeRuntime]) -> None:
    alerts, _ = clip_run
    for alert in alerts:
        assert decode_alert(encode_message(alert)) == alert


def test_stricter_threshold_and_empty_zone_raise_nothing(
    clip_run: tuple[list[AlertMessage], EdgeRuntime],
) -> None:
    alerts, _ = clip_run
    assert {a.rule_id for a in alerts} == {"road-crowd", "road-crowd-wide"}


def test_counters_cover_the_whole_clip(clip_run: tuple[list[AlertMessage], EdgeRuntime]) -> None:
    alerts, runtime = clip_run
    (stats,) = runtime.camera_stats()
    assert stats.frames_read == 795
    assert stats.frames_analysed == 398
    assert stats.frames_skipped == 397
    assert stats.alerts == len(alerts)

    assert runtime.stats_message().inference_ms_p50 is not None
