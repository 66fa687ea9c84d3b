"""Object filters and masks per camera and zone, and pixel coordinates (``units: px``)."""

from __future__ import annotations

import numpy as np
import pytest

from gridwatch_contract.camera.filters import MaskConfig, ObjectFilterConfig
from gridwatch_contract.camera.rules import LeftObjectRuleConfig, LineCrossingRuleConfig
from gridwatch_edge.config import ConfigError, MotionConfig, ZoneConfig, parse_edge_config
from gridwatch_edge.detections import Detections
from gridwatch_edge.motion import MotionGate
from gridwatch_edge.object_filter import ObjectFilter
from gridwatch_edge.picture import ArrayPicture
from gridwatch_edge.zones import Masks, Zone

CLASSES = ["person", "car", "train", "backpack"]
WIDTH, HEIGHT = 400, 200


def _boxes(*rows: tuple[float, float, float, float, int]) -> Detections:
    return Detections.create([r[:4] for r in rows], [0.9] * len(rows), [r[4] for r in rows])


def test_by_default_a_box_over_half_the_frame_is_dropped_whatever_its_class() -> None:
    detections = _boxes(
        (4, 2, 396, 198, 2),  # a "train" over 97 % of the picture
        (4, 2, 396, 198, 1),  # a "car" as large
        (100, 50, 200, 150, 1),  # a real car, 12.5 %
    )
    keep = ObjectFilter(ObjectFilterConfig(), CLASSES, "cam", "camera").keep(
        detections, WIDTH, HEIGHT
    )
    assert keep.tolist() == [False, False, True]


def test_area_aspect_and_classes_with_per_class_limits() -> None:
    config = ObjectFilterConfig(
        min_area=0.001,
        max_aspect=3.0,
        exclude=["backpack"],
        classes={"person": {"max_aspect": 0.8}},
    )
    detections = _boxes(
        (0, 0, 4, 4, 1),  # car, 16 px: below min_area (80 px)
        (0, 0, 200, 20, 1),  # car 10:1 wide: above max_aspect
        (0, 0, 60, 30, 1),  # car 2:1: kept
        (0, 0, 40, 30, 0),  # person wider than tall: above the person's own max_aspect
        (0, 0, 20, 50, 0),  # upright person: kept (per-class limits replace the general ones)
        (0, 0, 20, 20, 3),  # backpack: excluded
    )
    keep = ObjectFilter(config, CLASSES, "cam", "camera").keep(detections, WIDTH, HEIGHT)
    assert keep.tolist() == [False, False, True, False, True, False]


def test_include_keeps_only_those_classes_and_unknown_names_are_config_errors() -> None:
    config = ObjectFilterConfig(include=["person"])
    keep = ObjectFilter(config, CLASSES, "cam", "camera").keep(
        _boxes((0, 0, 20, 50, 0), (0, 0, 60, 30, 1)), WIDTH, HEIGHT
    )
    assert keep.tolist() == [True, False]
    with pytest.raises(ConfigError, match="camera 'cam': the model has no class 'unicorn'"):
        ObjectFilter(ObjectFilterConfig(exclude=["unicorn"]), CLASSES, "cam", "camera")


def test_object_masks_drop_detections_standing_in_them_in_either_unit() -> None:
    masks = Masks(
        [
            MaskConfig(polygon=[(0, 0), (120, 0), (120, 20), (0, 20)], units="px"),
            MaskConfig(polygon=[(0.75, 0.5), (1.0, 0.5), (1.0, 1.0), (0.75, 1.0)]),
        ]
    )
    detections = _boxes(
        (10, 2, 90, 15, 0),  # the burnt-in clock text read as an object: bottom at y 15
        (320, 120, 360, 190, 1),  # bottom centre in the relative mask at the right
        (150, 100, 200, 190, 1),  # elsewhere: kept
    )
    kept = masks.drop_covered(detections, WIDTH, HEIGHT)
    assert kept.xyxy[:, 0].tolist() == [150]


def test_zone_filters_and_box_centre_membership() -> None:
    zone = Zone(
        ZoneConfig(
            id="road",
            polygon=[(0, 0), (200, 0), (200, 100), (0, 100)],
            units="px",
            filters={"include": ["car"], "min_area": 0.01, "bottom_in_zone": False},
        ),
        CLASSES,
    )
    detections = _boxes(
        (50, 50, 150, 150, 1),  # car, centre (100, 100) on the edge, feet outside: in
        (50, 120, 150, 190, 1),  # car, centre (100, 155) outside
        (50, 20, 100, 80, 0),  # person: not included
        (10, 10, 14, 14, 1),  # car of 16 px: below 1 % of the frame
    )
    assert zone.contains(detections, WIDTH, HEIGHT).tolist() == [True, False, False, False]


def test_pixel_zones_scale_with_a_shrunk_copy_of_the_frame() -> None:
    region = Zone(ZoneConfig(id="px", polygon=[(0, 0), (200, 0), (200, 100), (0, 100)], units="px"))
    mask = region.mask(100, 50, (WIDTH, HEIGHT))  # half size of a 400x200 frame
    assert mask[:25, :50].all()
    assert not mask[30:, 60:].any()
    assert region.area_fraction(WIDTH, HEIGHT) == pytest.approx(0.25, abs=0.01)


def test_motion_masks_hide_a_swaying_tree_from_the_motion_gate() -> None:
    still = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    swaying = still.copy()
    swaying[20:120, 20:120] = 200  # the tree moved; nothing else did
    tree = MaskConfig(polygon=[(0.0, 0.0), (0.35, 0.0), (0.35, 0.7), (0.0, 0.7)])
    config = MotionConfig(max_skip_s=60)
    for masks, expected in ((None, True), (Masks([tree]), False)):
        gate = MotionGate(config, masks)
        assert gate.should_detect(ArrayPicture(still), 0.0)  # the first frame always runs
        assert gate.should_detect(ArrayPicture(swaying), 0.2) is expected


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ({"polygon": [[0, 0], [1.2, 0], [1, 1]]}, "outside the relative range 0..1"),
        ({"polygon": [[0, 0], [-3, 0], [1, 1]], "units": "px"}, "negative pixel"),
        (
            {"polygon": [[0, 0], [1, 0], [1, 1]], "filters": {"min_area": 0.5, "max_area": 0.2}},
            "min_area",
        ),
    ],
)
def test_bad_geometry_is_a_clear_config_error(zone: dict[str, object], message: str) -> None:
    document = {
        "edge_id": "e",
        "cameras": [{"id": "c", "url": "a.mp4", "zones": [{"id": "z", **zone}]}],
    }
    with pytest.raises(ConfigError, match=message):
        parse_edge_config(document)


def test_lines_may_be_given_in_pixels() -> None:
    document = {
        "edge_id": "e",
        "cameras": [
            {
                "id": "c",
                "url": "a.mp4",
                "rules": [
                    {
                        "type": "line_crossing",
                        "id": "l",
                        "line": [[384, 115], [384, 518]],
                        "units": "px",
                    }
                ],
            }
        ],
    }
    (rule,) = parse_edge_config(document).cameras[0].rules
    assert isinstance(rule, LineCrossingRuleConfig)
    assert rule.line == ((384, 115), (384, 518))


def test_littering_defaults_to_small_thrown_things_and_left_object_to_bags() -> None:
    littering = LeftObjectRuleConfig(type="littering", id="l", zone="z", dwell_s=10)
    assert littering.classes == ["bottle", "cup"]
    assert littering.max_object_area == 0.01
    own = LeftObjectRuleConfig(type="littering", id="l", zone="z", dwell_s=10, classes=[])
    assert own.classes == []
    left = LeftObjectRuleConfig(type="left_object", id="b", zone="z", dwell_s=10)
    assert "suitcase" in left.classes
    assert left.max_object_area is None
