"""Temporal clean-up of keypoints: filling short dropouts and smoothing jitter.

Each joint of each person is a time series (person index ``p`` is taken to be the same person in
every frame). A joint is visible when its score is above ``threshold``; smoothing only ever mixes
visible samples of one unbroken run, so a dropout never drags a joint towards (0, 0), and missing
joints stay missing unless :func:`interpolate_gaps` fills them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from motionctx.errors import InputError
from motionctx.pose.arrays import from_numpy, to_numpy

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence

__all__ = ["interpolate_gaps", "one_euro", "savgol", "savgol_coefficients", "visible_runs"]


def interpolate_gaps(poses: PoseSequence, max_gap: int, *, threshold: float = 0.3) -> PoseSequence:
    """Fill dropouts of at most ``max_gap`` frames that have a visible sample on both sides.

    Filled positions are linear in time between the two sides; their score is the lower of the two
    sides' scores. Gaps at the start or end of the clip, and longer gaps, stay missing.
    """
    import numpy as np

    if max_gap < 0:
        raise InputError(f"max_gap must be >= 0, got {max_gap}")
    kp, sc = to_numpy(poses)
    t_len = kp.shape[0]
    if max_gap == 0 or t_len < 3:
        return poses
    vis = sc > threshold
    t = np.arange(t_len).reshape((-1,) + (1,) * (vis.ndim - 1))
    prev = np.maximum.accumulate(np.where(vis, t, -1), axis=0)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(vis, t, t_len), axis=0), axis=0), axis=0)
    fill = ~vis & (prev >= 0) & (nxt < t_len) & (nxt - prev - 1 <= max_gap)
    if not fill.any():
        return poses
    p_i, n_i = np.clip(prev, 0, t_len - 1), np.clip(nxt, 0, t_len - 1)
    w = ((t - prev) / np.maximum(nxt - prev, 1))[..., None]
    kp_p = np.take_along_axis(kp, p_i[..., None].repeat(2, -1), axis=0)
    kp_n = np.take_along_axis(kp, n_i[..., None].repeat(2, -1), axis=0)
    sc_fill = np.minimum(np.take_along_axis(sc, p_i, axis=0), np.take_along_axis(sc, n_i, axis=0))
    kp = np.where(fill[..., None], kp_p + w * (kp_n - kp_p), kp)
    sc = np.where(fill, sc_fill, sc)
    return from_numpy(poses, kp, sc)


def visible_runs(visible: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` of the unbroken True runs of a 1-D mask."""
    import numpy as np

    edges = np.diff(np.concatenate([[0], visible.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def one_euro(
    poses: PoseSequence,
    *,
    min_cutoff: float = 1.0,
    beta: float = 0.05,
    d_cutoff: float = 1.0,
    threshold: float = 0.3,
) -> PoseSequence:
    """The One-Euro filter (Casiez et al. 2012) on every joint coordinate, at ``poses.fps``.

    ``min_cutoff`` (Hz) sets the smoothing at rest, ``beta`` how fast the cutoff rises with speed
    (in pixels per second), ``d_cutoff`` (Hz) the smoothing of the speed estimate. The filter
    restarts at the first visible frame after every dropout.
    """
    import numpy as np

    if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
        raise InputError("one_euro needs min_cutoff > 0, d_cutoff > 0 and beta >= 0")
    kp, sc = to_numpy(poses)
    rate = float(poses.fps)

    def alpha(cutoff: np.ndarray | float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau * rate)

    vis = sc > threshold
    out = kp.copy()
    x_hat = kp[0].copy()
    dx_hat = np.zeros_like(kp[0])
    live = vis[0].copy()
    a_d = alpha(d_cutoff)
    for t in range(1, kp.shape[0]):
        x, v = kp[t], vis[t]
        cont = (v & live)[..., None]
        dx = (x - x_hat) * rate
        dx_new = a_d * dx + (1 - a_d) * dx_hat
        a = alpha(min_cutoff + beta * np.abs(dx_new))
        smoothed = a * x + (1 - a) * x_hat
        x_hat = np.where(cont, smoothed, x)
        dx_hat = np.where(cont, dx_new, 0.0)
        out[t] = np.where(v[..., None], x_hat, x)
        live = v
    return from_numpy(poses, out, sc)


def savgol_coefficients(window: int, order: int) -> np.ndarray:
    """``C [window, window]``: row ``i`` gives the least-squares polynomial value at position ``i``."""
    import numpy as np

    pos = np.arange(window, dtype=np.float64) - (window - 1) / 2
    vander = np.vander(pos, order + 1, increasing=True)
    return vander @ np.linalg.pinv(vander)


def savgol(poses: PoseSequence, *, window: int = 7, order: int = 2, threshold: float = 0.3) -> PoseSequence:
    """Savitzky-Golay smoothing: each visible sample becomes the value at its position of the
    degree-``order`` polynomial fitted to ``window`` samples of its run (centred, shifted inwards
    at the run's ends). Runs shorter than the window use their own length; runs of ``order + 1``
    samples or fewer are left as they are."""
    import numpy as np

    if window < 1 or window % 2 == 0 or order < 0 or order >= window:
        raise InputError(f"savgol needs an odd window > order >= 0, got window={window}, order={order}")
    kp, sc = to_numpy(poses)
    vis = sc > threshold
    out = kp.copy()
    t_len = kp.shape[0]
    flat_kp, flat_out = kp.reshape(t_len, -1, 2), out.reshape(t_len, -1, 2)
    flat_vis = vis.reshape(t_len, -1)
    cache: dict[int, np.ndarray] = {}
    for j in range(flat_vis.shape[1]):
        for start, stop in visible_runs(flat_vis[:, j]):
            n = stop - start
            length = min(window, n)
            if length <= order + 1:
                continue
            coef = cache.get(length)
            if coef is None:
                coef = cache[length] = savgol_coefficients(length, order)
            t = np.arange(n)
            first = np.clip(t - length // 2, 0, n - length)
            idx = first[:, None] + np.arange(length)[None, :]
            series = flat_kp[start:stop, j]
            flat_out[start:stop, j] = np.einsum("tl,tlc->tc", coef[t - first], series[idx])
    return from_numpy(poses, out, sc)
