"""A constant-velocity Kalman filter over box centre and size, stepped in seconds.

The state is ``[cx, cy, w, h, vx, vy, vw, vh]`` (pixels and pixels per second). Time steps are
media seconds rather than frames, so a motion gate that skips frames or a camera that drops to
a lower rate only lengthens the prediction instead of breaking the velocity estimate.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float64]
Matrix = npt.NDArray[np.float64]

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


def xyxy_to_state(box: npt.ArrayLike) -> Vector:
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    return np.array([(x1 + x2) / 2.0, (y1 + y2) / 2.0, x2 - x1, y2 - y1])


class KalmanBoxFilter:
    """Tracks one box; ``predict`` advances by ``dt_s`` seconds, ``update`` folds in a box."""

    def __init__(self, box: npt.ArrayLike) -> None:
        measured = xyxy_to_state(box)
        self.mean: Vector = np.concatenate([measured, np.zeros(4)])
        height = max(measured[3], 1.0)
        std = np.array([POSITION_STD] * 4 + [INITIAL_VELOCITY_STD] * 4) * height
        self.covariance: Matrix = np.diag(np.square(std))

    def predict(self, dt_s: float) -> None:
        if dt_s <= 0:
            return
        transition = np.eye(8)
        transition[:4, 4:] = np.eye(4) * dt_s
        height = max(self.mean[3], 1.0)
        noise = np.diag(
            np.square(
                np.array([POSITION_STD] * 4 + [VELOCITY_STD_PER_S * np.sqrt(dt_s)] * 4) * height
            )
        )
        self.mean = transition @ self.mean
        # A shrinking prediction must not collapse the box to nothing.
        self.mean[2:4] = np.maximum(self.mean[2:4], 1.0)
        self.covariance = transition @ self.covariance @ transition.T + noise

    def stop_resizing(self) -> None:
        self.mean[6:8] = 0.0

    def update(self, box: npt.ArrayLike) -> None:
        measured = xyxy_to_state(box)
        observation = np.hstack([np.eye(4), np.zeros((4, 4))])
        noise = np.diag(np.square(np.full(4, MEASUREMENT_STD * max(measured[3], 1.0))))
        projected = observation @ self.covariance @ observation.T + noise
        gain = self.covariance @ observation.T @ np.linalg.inv(projected)
        self.mean = self.mean + gain @ (measured - observation @ self.mean)
        self.covariance = (np.eye(8) - gain @ observation) @ self.covariance

    def xyxy(self) -> Vector:
        cx, cy, w, h = self.mean[:4]
        return np.array([cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0])
