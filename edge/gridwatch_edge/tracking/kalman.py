"""A constant-velocity Kalman filter over box centre and size, stepped in seconds.

The state is ``[cx, cy, w, h]`` with a velocity for each (pixels and pixels per second). Time
steps are media seconds rather than frames, so a motion gate that skips frames or a camera that
drops to a lower rate only lengthens the prediction instead of breaking the velocity estimate.

The textbook form is one 8-dimensional filter (SORT, ByteTrack). Its transition, noises and
observation never couple one coordinate with another, so starting from a diagonal covariance it
is exactly four independent filters of two states each (position, velocity): the 8x8
covariance only ever holds the 2x2 blocks kept here as the columns ``pp``, ``pv`` and ``vv``.
Written that way each step is a few element-wise operations on length-4 arrays instead of
8x8 products and an inverse: 5x less CPU for the tracker, which runs for every analysed frame
of every camera of the box.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float64]

# Noise scales relative to box height, as in SORT/ByteTrack: a large (near) object moves and
# jitters more pixels than a small (far) one. Position noise: a detector box edge wanders by
# about 1/20 of the height; velocity noise: a pedestrian changes speed by about a fifth of a
# body height per second.
POSITION_STD = 1.0 / 20.0
VELOCITY_STD_PER_S = 1.0 / 5.0
# Measurement noise: YOLOX-Nano box corners jitter by roughly 1/20 of the box height.
MEASUREMENT_STD = 1.0 / 20.0
# The velocity of a new track is unknown: start with a wide uncertainty (one height per second).
INITIAL_VELOCITY_STD = 1.0
# Width and height are the last two of the four coordinates.
SIZE = slice(2, 4)


def xyxy_to_state(box: npt.ArrayLike) -> Vector:
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    return np.array([(x1 + x2) / 2.0, (y1 + y2) / 2.0, x2 - x1, y2 - y1])


class KalmanBoxFilter:
    """Tracks one box; ``predict`` advances by ``dt_s`` seconds, ``update`` folds in a box."""

    __slots__ = ("position", "pp", "pv", "velocity", "vv")

    def __init__(self, box: npt.ArrayLike) -> None:
        self.position: Vector = xyxy_to_state(box)
        self.velocity: Vector = np.zeros(4)
        height = max(self.position[3], 1.0)
        # Variances of position and velocity and their covariance, per coordinate.
        self.pp: Vector = np.full(4, (POSITION_STD * height) ** 2)
        self.pv: Vector = np.zeros(4)
        self.vv: Vector = np.full(4, (INITIAL_VELOCITY_STD * height) ** 2)

    def predict(self, dt_s: float) -> None:
        if dt_s <= 0:
            return
        height = max(self.position[3], 1.0)
        position_noise = (POSITION_STD * height) ** 2
        velocity_noise = (VELOCITY_STD_PER_S * height) ** 2 * dt_s
        self.position = self.position + self.velocity * dt_s
        # A shrinking prediction must not collapse the box to nothing.
        self.position[SIZE] = np.maximum(self.position[SIZE], 1.0)
        # F P F^T + Q with F = [[1, dt], [0, 1]] per coordinate.
        self.pp = self.pp + dt_s * (2.0 * self.pv + dt_s * self.vv) + position_noise
        self.pv = self.pv + dt_s * self.vv
        self.vv = self.vv + velocity_noise

    def stop_resizing(self) -> None:
        self.velocity[SIZE] = 0.0

    def update(self, box: npt.ArrayLike) -> None:
        measured = xyxy_to_state(box)
        measurement_noise = (MEASUREMENT_STD * max(measured[3], 1.0)) ** 2
        innovation_variance = self.pp + measurement_noise
        position_gain = self.pp / innovation_variance
        velocity_gain = self.pv / innovation_variance
        innovation = measured - self.position
        self.position = self.position + position_gain * innovation
        self.velocity = self.velocity + velocity_gain * innovation
        # (I - K H) P per coordinate; vv first, it needs the covariance before the update.
        self.vv = self.vv - velocity_gain * self.pv
        self.pv = (1.0 - position_gain) * self.pv
        self.pp = (1.0 - position_gain) * self.pp

    def xyxy(self) -> Vector:
        cx, cy, w, h = self.position
        return np.array([cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0])
