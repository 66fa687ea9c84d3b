"""Zone membership by bottom centre, and the Detections container."""

from __future__ import annotations

import numpy as np
import pytest

from gridwatch_edge.config import ZoneConfig
from gridwatch_edge.detections import Detections
from gridwatch_edge.zones import Zone

# Left half of the frame.
LEFT_HALF = ZoneConfig(id="left", polygon=[(0, 0), (0.5, 0), (0.5, 1), (0, 1)])


def test_bottom_centre_decides_membership() -> None:
    detections = Detections.create(
        [[10, 10, 50, 90], [300, 10, 340, 90], [170, 0, 250, 50]], [0.9, 0.8, 0.7], [0, 0, 0]
    )
    # The third box overlaps the zone but stands outside it: bottom centre (210, 50).
    inside = Zone(LEFT_HALF).contains(detections, 400, 100)
    assert inside.tolist() == [True, False, False]


def test_empty_detections_and_area() -> None:
    zone = Zone(LEFT_HALF)
    assert zone.contains(Detections.empty(), 400, 100).shape == (0,)
    assert zone.area_fraction(400, 100) == pytest.approx(0.5)


def test_detections_filtering() -> None:
    detections = Detections.create([[0, 0, 2, 4], [1, 1, 3, 3]], [0.9, 0.5], [0, 2])
    assert len(detections) == 2
    assert len(detections.of_classes([2])) == 1
    assert detections.filter(detections.confidence > 0.6).class_id.tolist() == [0]
    np.testing.assert_allclose(detections.bottom_centers(), [[1, 4], [2, 3]])
    assert detections.tracker_id.tolist() == [-1, -1]


def test_detections_reject_mismatched_columns() -> None:
    with pytest.raises(ValueError, match="one entry per detection"):
        Detections(
            xyxy=np.zeros((2, 4), np.float32),
            confidence=np.zeros(2, np.float32),
            class_id=np.zeros(3, np.int64),
            tracker_id=np.zeros(2, np.int64),
        )
