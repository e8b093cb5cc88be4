"""Gap interpolation and temporal smoothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionctx.errors import InputError
from motionctx.pose import OPENPOSE_18, interpolate_gaps, one_euro, savgol
from motionctx.pose.arrays import to_numpy
from motionctx.types import PoseSequence


def series(
    x: np.ndarray, y: np.ndarray | None = None, scores: np.ndarray | None = None, fps: float = 30.0
) -> PoseSequence:
    """One person whose 18 joints all follow ``(x[t], y[t])``, offset by joint index."""
    t = len(x)
    y = np.zeros(t) if y is None else y
    kp = np.zeros((t, 1, 18, 2))
    kp[..., 0] = x[:, None, None] + np.arange(18)
    kp[..., 1] = y[:, None, None]
    sc = np.full((t, 1, 18), 0.9) if scores is None else np.broadcast_to(scores[:, None, None], (t, 1, 18)).copy()
    return PoseSequence(torch.tensor(kp).float(), torch.tensor(sc).float(), OPENPOSE_18, (200, 200), fps)


def test_short_gaps_are_filled_linearly_long_and_open_ones_are_not() -> None:
    x = np.arange(12, dtype=float) * 3
    sc = np.full(12, 0.9)
    sc[[0, 4, 5, 8, 9, 10]] = 0.0  # open start, a 2-gap, a 3-gap
    sc[3], sc[6] = 0.7, 0.5
    kp_in = x.copy()
    kp_in[sc == 0] = 0.0  # where the estimator lost the joint
    out = interpolate_gaps(series(kp_in, scores=sc), 2)
    kp, s = to_numpy(out)
    np.testing.assert_allclose(kp[4:6, 0, 0, 0], x[4:6], atol=1e-5)
    assert s[4, 0, 0] == pytest.approx(0.5) and s[5, 0, 0] == pytest.approx(0.5)  # min of the two sides
    assert (s[[0, 8, 9, 10], 0, 0] == 0).all()
    wide = to_numpy(interpolate_gaps(series(kp_in, scores=sc), 3))[1]
    assert (wide[8:11, 0, 0] > 0).all() and wide[0, 0, 0] == 0
    with pytest.raises(InputError):
        interpolate_gaps(series(x), -1)


def test_one_euro_reduces_jitter_keeps_a_still_point_and_restarts_after_gaps() -> None:
    rng = np.random.default_rng(0)
    still = np.full(60, 50.0)
    np.testing.assert_allclose(to_numpy(one_euro(series(still)))[0][..., 0, 0, 0], still, atol=1e-4)
    noisy = 50 + rng.normal(0, 2, 60)
    smooth = to_numpy(one_euro(series(noisy), min_cutoff=0.5, beta=0.0))[0][:, 0, 0, 0]
    assert smooth[10:].std() < 0.5 * noisy[10:].std()
    sc = np.full(60, 0.9)
    sc[30] = 0.0
    jump = np.where(np.arange(60) > 30, 150.0, 50.0)
    out = to_numpy(one_euro(series(jump, scores=sc), min_cutoff=0.5, beta=0.0))[0][:, 0, 0, 0]
    assert out[31] == pytest.approx(150.0, abs=1e-4)  # restarted: not dragged towards 50
    assert out[30] == pytest.approx(50.0, abs=1e-4)  # the missing sample is left alone


def test_savgol_keeps_polynomials_and_works_per_run() -> None:
    t = np.arange(40, dtype=float)
    quad = 0.05 * t**2 - t + 80
    np.testing.assert_allclose(to_numpy(savgol(series(quad), window=7, order=2))[0][:, 0, 0, 0], quad, atol=1e-3)
    rng = np.random.default_rng(1)
    noisy = 50 + rng.normal(0, 2, 40)
    assert to_numpy(savgol(series(noisy), window=9, order=2))[0][:, 0, 0, 0].std() < 0.75 * noisy.std()
    sc = np.full(40, 0.9)
    sc[20] = 0.0
    steps = np.where(t > 20, 150.0, 50.0)
    out = to_numpy(savgol(series(steps, scores=sc), window=7, order=1))[0][:, 0, 0, 0]
    np.testing.assert_allclose(out[:20], 50.0, atol=1e-4)
    np.testing.assert_allclose(out[21:], 150.0, atol=1e-4)
    with pytest.raises(InputError):
        savgol(series(t), window=4)
