"""The per-coordinate Kalman filter is the textbook 8-dimensional one, step for step."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gridwatch_edge.tracking.kalman import (
    INITIAL_VELOCITY_STD,
    MEASUREMENT_STD,
    POSITION_STD,
    VELOCITY_STD_PER_S,
    KalmanBoxFilter,
    xyxy_to_state,
)

Array = npt.NDArray[np.float64]


class TextbookFilter:
    """SORT/ByteTrack's 8x8 formulation with the same noise model, as the reference."""

    def __init__(self, box: Array) -> None:
        measured = xyxy_to_state(box)
        self.mean = np.concatenate([measured, np.zeros(4)])
        std = np.array([POSITION_STD] * 4 + [INITIAL_VELOCITY_STD] * 4) * max(measured[3], 1.0)
        self.covariance = np.diag(np.square(std))

    def predict(self, dt_s: float) -> None:
        transition = np.eye(8)
        transition[:4, 4:] = np.eye(4) * dt_s
        height = max(self.mean[3], 1.0)
        std = np.array([POSITION_STD] * 4 + [VELOCITY_STD_PER_S * np.sqrt(dt_s)] * 4) * height
        self.mean = transition @ self.mean
        self.mean[2:4] = np.maximum(self.mean[2:4], 1.0)
        self.covariance = transition @ self.covariance @ transition.T + np.diag(np.square(std))

    def update(self, box: Array) -> None:
        measured = xyxy_to_state(box)
        observation = np.hstack([np.eye(4), np.zeros((4, 4))])
        noise = np.diag(np.square(np.full(4, MEASUREMENT_STD * max(measured[3], 1.0))))
        projected = observation @ self.covariance @ observation.T + noise
        gain = self.covariance @ observation.T @ np.linalg.inv(projected)
        self.mean = self.mean + gain @ (measured - observation @ self.mean)
        self.covariance = (np.eye(8) - gain @ observation) @ self.covariance

    def block(self, rows: slice, columns: slice) -> Array:
        return np.diag(self.covariance[rows, columns])


def test_matches_the_textbook_filter_over_a_noisy_walk() -> None:
    random = np.random.default_rng(7)
    box = np.array([100.0, 200.0, 140.0, 300.0])
    ours, reference = KalmanBoxFilter(box), TextbookFilter(box)
    for _ in range(60):
        dt_s = float(random.uniform(0.04, 2.0))  # motion-gated gaps are long
        ours.predict(dt_s)
        reference.predict(dt_s)
        box = box + random.normal(0.0, 4.0, 4) + np.array([30.0, 5.0, 30.0, 5.0]) * dt_s
        if random.random() < 0.8:  # some frames the object is missed
            ours.update(box)
            reference.update(box)
        state = np.concatenate([ours.position, ours.velocity])
        np.testing.assert_allclose(state, reference.mean, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(ours.pp, reference.block(slice(0, 4), slice(0, 4)), rtol=1e-9)
        np.testing.assert_allclose(ours.pv, reference.block(slice(0, 4), slice(4, 8)), rtol=1e-9)
        np.testing.assert_allclose(ours.vv, reference.block(slice(4, 8), slice(4, 8)), rtol=1e-9)
    # Nothing ever couples one coordinate with another.
    off_blocks = reference.covariance.copy()
    for row, column in ((0, 0), (0, 4), (4, 0), (4, 4)):
        off_blocks[row : row + 4, column : column + 4] -= np.diag(
            np.diag(off_blocks[row : row + 4, column : column + 4])
        )
    assert np.abs(off_blocks).max() < 1e-6


def test_a_predicted_box_never_collapses() -> None:
    tracked = KalmanBoxFilter(np.array([0.0, 0.0, 10.0, 10.0]))
    tracked.update(np.array([0.0, 0.0, 2.0, 2.0]))
    tracked.update(np.array([0.0, 0.0, 1.0, 1.0]))
    tracked.predict(30.0)
    assert (tracked.position[2:] >= 1.0).all()
    tracked.stop_resizing()
    assert (tracked.velocity[2:] == 0.0).all()
