"""Area shrinking by halvings stays the area average, within a grey level."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gridwatch_edge.picture import ArrayPicture, shrink_by_area


@pytest.mark.parametrize(
    ("source", "target"),
    [((1280, 720), (160, 90)), ((1920, 1080), (160, 90)), ((768, 576), (160, 120))],
)
def test_halvings_match_one_area_resize(source: tuple[int, int], target: tuple[int, int]) -> None:
    random = np.random.default_rng(3)
    width, height = source
    # Smooth content plus sensor noise, like a frame of footage.
    ramp = np.add.outer(np.linspace(0, 120, height), np.linspace(0, 100, width))
    image = np.clip(ramp + random.normal(0, 12, (height, width)), 0, 255).astype(np.uint8)
    expected = cv2.resize(image, target, interpolation=cv2.INTER_AREA).astype(int)
    shrunk = shrink_by_area(image, *target)
    assert shrunk.shape == (target[1], target[0])
    assert shrunk.dtype == np.uint8
    assert np.abs(shrunk.astype(int) - expected).max() <= 1


def test_a_colour_picture_keeps_its_channels() -> None:
    image = np.full((720, 1280, 3), (10, 120, 250), dtype=np.uint8)
    small = ArrayPicture(image).resized(160, 90, "area")
    assert small.shape == (90, 160, 3)
    assert (small == (10, 120, 250)).all()


def test_the_same_size_is_returned_unchanged() -> None:
    image = np.arange(90 * 160, dtype=np.uint8).reshape(90, 160)
    assert np.array_equal(shrink_by_area(image, 160, 90), image)
