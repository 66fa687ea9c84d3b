"""Pixel → ground mapping of a camera from four or more reference points (a plane homography).

The fit is the normalised direct linear transform (Hartley & Zisserman, alg. 4.2) solved with
numpy's SVD: central has no OpenCV. Ground points are expressed in metres on a local tangent
plane around their centroid, so the fit is well conditioned and errors come out in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]
EARTH_RADIUS_M = 6_371_008.8
# Singular-value ratio below which the reference points do not pin down one homography (three
# or more of them on a line, or repeated points): 1e-9 is far below anything real noise gives.
DEGENERATE_RATIO = 1e-9
# A homography extrapolates badly: a pixel mapping farther from the reference points' centre
# than this many times their own spread is near the horizon, and its ground point is not trusted.
MAX_EXTRAPOLATION = 3.0


class HomographyError(ValueError):
    """Reference points that cannot give a usable ground mapping."""


@dataclass(frozen=True, slots=True)
class ReferencePoint:
    x: float
    y: float
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class GroundMapping:
    """A fitted pixel → (lat, lon) mapping and how well it reproduces its reference points."""

    matrix: Matrix  # pixel (x, y, 1) → local metres (east, north, 1), up to scale
    origin_lat: float
    origin_lon: float
    frame_width: int
    frame_height: int
    errors_m: tuple[float, ...]  # reprojection error of each reference point
    reach_m: float  # farthest ground distance from the origin a mapped point may have
    w_sign: float  # sign of the homogeneous w of the reference points (the visible side)

    @property
    def rms_error_m(self) -> float:
        return math.sqrt(sum(e * e for e in self.errors_m) / len(self.errors_m))

    @property
    def max_error_m(self) -> float:
        return max(self.errors_m)

    def to_ground(
        self, x: float, y: float, frame_width: int, frame_height: int
    ) -> tuple[float, float] | None:
        """(lat, lon) of pixel (x, y) of a frame of the given size, None beyond the horizon."""
        scaled = (x * self.frame_width / frame_width, y * self.frame_height / frame_height)
        east_north = self._apply(np.array([scaled], dtype=np.float64))
        if east_north is None:
            return None
        east, north = (float(v) for v in east_north[0])
        if math.hypot(east, north) > self.reach_m:
            return None
        return self._to_latlon(east, north)

    def _apply(self, pixels: Matrix) -> Matrix | None:
        homogeneous = np.column_stack([pixels, np.ones(len(pixels))]) @ self.matrix.T
        w = homogeneous[:, 2]
        if np.any(w * self.w_sign <= 0):
            return None  # above the horizon: the ray never meets the ground in front
        result: Matrix = homogeneous[:, :2] / w[:, None]
        return result

    def _to_latlon(self, east: float, north: float) -> tuple[float, float]:
        lat = self.origin_lat + math.degrees(north / EARTH_RADIUS_M)
        scale = EARTH_RADIUS_M * math.cos(math.radians(self.origin_lat))
        return lat, self.origin_lon + math.degrees(east / scale)


def fit_ground_mapping(
    points: list[ReferencePoint], frame_width: int, frame_height: int
) -> GroundMapping:
    """Fit the mapping, raising ``HomographyError`` with the reason if the points are unusable."""
    if len(points) < 4:
        raise HomographyError(f"a homography needs at least 4 reference points, got {len(points)}")
    pixels = np.array([(p.x, p.y) for p in points], dtype=np.float64)
    origin_lat = float(np.mean([p.lat for p in points]))
    origin_lon = float(np.mean([p.lon for p in points]))
    ground = _to_metres(points, origin_lat, origin_lon)
    _require_spread(pixels, "pixel")
    _require_spread(ground, "ground")
    matrix = _dlt(pixels, ground)
    homogeneous = np.column_stack([pixels, np.ones(len(pixels))]) @ matrix.T
    w = homogeneous[:, 2]
    if not (np.all(w > 0) or np.all(w < 0)):
        raise HomographyError("reference points lie on both sides of the horizon; check them")
    mapped = homogeneous[:, :2] / w[:, None]
    errors = np.hypot(*(mapped - ground).T)
    spread = float(np.max(np.hypot(*ground.T)))
    return GroundMapping(
        matrix=matrix,
        origin_lat=origin_lat,
        origin_lon=origin_lon,
        frame_width=frame_width,
        frame_height=frame_height,
        errors_m=tuple(round(float(e), 3) for e in errors),
        reach_m=MAX_EXTRAPOLATION * spread,
        w_sign=float(np.sign(w[0])),
    )


def _to_metres(points: list[ReferencePoint], lat0: float, lon0: float) -> Matrix:
    # Equirectangular projection around the centroid: over a camera's few hundred metres its
    # distortion is millimetres, far below the accuracy of any reference point.
    scale = EARTH_RADIUS_M * math.cos(math.radians(lat0))
    return np.array(
        [
            (math.radians(p.lon - lon0) * scale, math.radians(p.lat - lat0) * EARTH_RADIUS_M)
            for p in points
        ],
        dtype=np.float64,
    )


def _require_spread(points: Matrix, what: str) -> None:
    centred = points - points.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    if singular[0] == 0 or singular[1] / singular[0] < 1e-6:
        raise HomographyError(f"the {what} reference points are (nearly) on one line or repeated")


def _normaliser(points: Matrix) -> Matrix:
    """Similarity moving the points' centroid to 0 and their mean distance to √2 (Hartley)."""
    centroid = points.mean(axis=0)
    mean_distance = float(np.mean(np.hypot(*(points - centroid).T)))
    s = math.sqrt(2) / mean_distance
    return np.array(
        [[s, 0, -s * centroid[0]], [0, s, -s * centroid[1]], [0, 0, 1]], dtype=np.float64
    )


def _dlt(source: Matrix, target: Matrix) -> Matrix:
    t_source, t_target = _normaliser(source), _normaliser(target)
    src = _homogenise(source) @ t_source.T
    dst = _homogenise(target) @ t_target.T
    rows = []
    for (x, y, _), (u, v, _) in zip(src, dst, strict=True):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    _, singular, vt = np.linalg.svd(np.array(rows, dtype=np.float64))
    # With exactly 4 points A is 8x9 and has 8 singular values; a ninth zero one is implied.
    if singular[7] / singular[0] < DEGENERATE_RATIO:
        raise HomographyError(
            "the reference points do not determine one homography (three or more on a line?)"
        )
    normalised = vt[-1].reshape(3, 3)
    matrix: Matrix = np.linalg.inv(t_target) @ normalised @ t_source
    if abs(np.linalg.det(matrix)) < 1e-12 * np.abs(matrix).max() ** 3:
        raise HomographyError("the fitted homography is singular")
    return matrix / matrix[2, 2] if abs(matrix[2, 2]) > 1e-12 else matrix


def _homogenise(points: Matrix) -> Matrix:
    return np.column_stack([points, np.ones(len(points))])
