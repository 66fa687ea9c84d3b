"""Pixel → ground homography: exact fit, error report, degenerate points, horizon."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gridwatch_central.grid.homography import (
    EARTH_RADIUS_M,
    HomographyError,
    ReferencePoint,
    fit_ground_mapping,
)

ORIGIN = (30.23, 108.40)
# A pole camera's view: pixel → metres east/north (a real perspective, w varies with the row).
TRUE_H = np.array([[0.05, 0.01, -20.0], [0.002, -0.12, 60.0], [0.00001, 0.0008, 1.0]])


def _ground(x: float, y: float) -> tuple[float, float]:
    east, north, w = TRUE_H @ np.array([x, y, 1.0])
    lat = ORIGIN[0] + math.degrees(north / w / EARTH_RADIUS_M)
    scale = EARTH_RADIUS_M * math.cos(math.radians(ORIGIN[0]))
    return lat, ORIGIN[1] + math.degrees(east / w / scale)


def _points(pixels: list[tuple[float, float]]) -> list[ReferencePoint]:
    return [ReferencePoint(x, y, *_ground(x, y)) for x, y in pixels]


PIXELS = [(100.0, 900.0), (1800.0, 950.0), (1500.0, 500.0), (300.0, 480.0), (960.0, 700.0)]


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = math.radians(a[0] - b[0]) * EARTH_RADIUS_M
    east = math.radians(a[1] - b[1]) * EARTH_RADIUS_M * math.cos(math.radians(a[0]))
    return math.hypot(east, north)


def test_fit_recovers_the_mapping_anywhere_in_view() -> None:
    mapping = fit_ground_mapping(_points(PIXELS), 1920, 1080)
    assert mapping.max_error_m < 0.01
    for pixel in [(500.0, 800.0), (1200.0, 600.0)]:
        found = mapping.to_ground(*pixel, 1920, 1080)
        assert found is not None
        assert _metres(found, _ground(*pixel)) < 0.01


def test_alert_frames_of_another_size_are_scaled() -> None:
    mapping = fit_ground_mapping(_points(PIXELS), 1920, 1080)
    half = mapping.to_ground(600.0, 400.0, 960, 540)
    full = mapping.to_ground(1200.0, 800.0, 1920, 1080)
    assert half is not None
    assert full is not None
    assert _metres(half, full) < 1e-6


def test_reprojection_error_is_reported_per_point() -> None:
    points = _points(PIXELS)
    moved = points[4]
    points[4] = ReferencePoint(moved.x, moved.y, moved.lat + 3 / 111_195, moved.lon)  # 3 m north
    mapping = fit_ground_mapping(points, 1920, 1080)
    assert 0.5 < mapping.max_error_m < 3.0
    assert mapping.errors_m.index(mapping.max_error_m) == 4
    assert mapping.rms_error_m < mapping.max_error_m


@pytest.mark.parametrize(
    ("pixels", "reason"),
    [
        (PIXELS[:3], "at least 4 reference points"),
        ([(0.0, 0.0), (10.0, 10.0), (20.0, 20.0), (30.0, 30.0)], "on one line or repeated"),
        ([(100.0, 900.0)] * 4, "on one line or repeated"),
        ([(100.0, 900.0), (500.0, 900.0), (900.0, 900.0), (500.0, 500.0)], "do not determine"),
    ],
)
def test_degenerate_reference_points_are_refused(
    pixels: list[tuple[float, float]], reason: str
) -> None:
    points = _points(pixels)
    with pytest.raises(HomographyError, match=reason):
        fit_ground_mapping(points, 1920, 1080)


def test_points_beyond_the_horizon_or_far_outside_the_calibration_are_not_mapped() -> None:
    mapping = fit_ground_mapping(_points(PIXELS), 1920, 1080)
    # TRUE_H puts the horizon (w = 0) where 0.00001 x + 0.0008 y + 1 = 0: y < 0 for any x ≥ 0,
    # so a pixel row far above the image is behind the camera.
    assert mapping.to_ground(960.0, -5000.0, 1920, 1080) is None
