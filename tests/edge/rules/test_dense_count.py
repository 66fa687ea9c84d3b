"""The crowd rule's dense second look: tiles over the zone, merged, on a distant crowd."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from gridwatch_contract.camera.rules import CrowdRuleConfig
from gridwatch_edge.config import ZoneConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.detector import Detector
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.rules import CrowdRule
from gridwatch_edge.rules.dense_count import merge_persons, tile_boxes
from gridwatch_edge.sources.frame import Frame
from gridwatch_edge.zones import Zone

WHOLE = ZoneConfig(id="all", polygon=[(0, 0), (1, 0), (1, 1), (0, 1)])
# vtest at 11.6 s shows 8 people (counted on the frame); four half-size copies show 32.
HAND_COUNT = 32


def test_tiles_cover_the_zone_with_overlap_and_grow_to_stay_within_max_tiles() -> None:
    tiles = tile_boxes((0, 0, 768, 576), 416, 4)
    assert len(tiles) == 4
    assert {t[0] for t in tiles} == {0, 352}
    assert {t[1] for t in tiles} == {0, 160}
    assert all(t[2] - t[0] == 416 and t[3] - t[1] == 416 for t in tiles)
    wide = tile_boxes((0, 0, 1920, 1080), 416, 4)
    assert len(wide) <= 4
    assert max(t[2] for t in wide) == 1920
    assert max(t[3] for t in wide) == 1080
    small = tile_boxes((100, 50, 300, 150), 416, 4)
    assert small == [(100, 50, 300, 150)]  # one crop, enlarged by the detector


def test_a_person_seen_in_two_tiles_or_cut_by_an_edge_is_counted_once() -> None:
    whole = Detections.create([[100, 100, 140, 200]], [0.9], [0])
    cut = Detections.create([[100, 100, 140, 160]], [0.6], [0])  # upper part, other tile
    other = Detections.create([[300, 100, 340, 200]], [0.8], [0])
    merged = merge_persons([whole, cut, other])
    assert sorted(merged.xyxy[:, 0].tolist()) == [100, 300]


def _distant_crowd(clip: Path) -> Frame:
    capture = cv2.VideoCapture(str(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 116)
    ok, image = capture.read()
    capture.release()
    assert ok
    half = cv2.resize(image, (384, 288), interpolation=cv2.INTER_AREA)
    grid = np.vstack([np.hstack([half, half]), np.hstack([half, half])]).astype(np.uint8)
    return Frame(ArrayPicture(grid), 0, 11.6, datetime.now(UTC), live=False)


def test_the_dense_pass_counts_a_distant_crowd_the_frame_wide_pass_halves(
    yolox: Detector, vtest_clip: Path
) -> None:
    frame = _distant_crowd(vtest_clip)
    detections = yolox.detect(frame.picture)
    config = CrowdRuleConfig(
        type="crowd", id="crowd", zone="all", min_persons=30, min_duration_s=1, dense_count={}
    )
    frame_wide = CrowdRule(
        config.model_copy(update={"dense_count": None}), Zone(WHOLE), yolox.class_names
    )
    dense = CrowdRule(config, Zone(WHOLE), yolox.class_names, yolox.detect)
    wide_count = frame_wide.count(frame, detections)
    dense_count = dense.count(frame, detections)
    assert wide_count <= 0.7 * HAND_COUNT  # measured: 18
    assert abs(dense_count - HAND_COUNT) <= 0.15 * HAND_COUNT  # measured: 32
    counter = dense.dense_counter
    assert counter is not None
    assert counter.passes == 1
    assert counter.tiles_run == 4


def test_far_from_the_threshold_the_dense_pass_does_not_run(
    yolox: Detector, vtest_clip: Path
) -> None:
    frame = _distant_crowd(vtest_clip)
    config = CrowdRuleConfig(
        type="crowd", id="crowd", zone="all", min_persons=80, min_duration_s=1, dense_count={}
    )
    rule = CrowdRule(config, Zone(WHOLE), yolox.class_names, yolox.detect)
    rule.count(frame, yolox.detect(frame.picture))  # ~18 found: below 0.5 x 80
    assert rule.dense_counter is not None
    assert rule.dense_counter.passes == 0
