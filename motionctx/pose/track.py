"""Keeping each person in the same slot from frame to frame.

Estimators see people frame by frame, in no stable order. :func:`order_people` packs per-frame
detections into ``[T, P, K, 2]`` arrays, ``P`` being the most people in any frame, and gives each
detection the free slot whose last seen position (the mean of its visible joints) is nearest,
pairs with the smallest distance first. A new person takes a slot nobody is using in that frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["order_people"]


def _centre(kp: np.ndarray, sc: np.ndarray, threshold: float) -> np.ndarray:
    import numpy as np

    vis = sc > threshold
    if not vis.any():
        return np.full(2, np.nan)
    return kp[vis].mean(axis=0)


def order_people(
    frames: list[tuple[np.ndarray, np.ndarray]], num_keypoints: int, *, threshold: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """``frames[t] = (keypoints [P_t, K, 2], scores [P_t, K])`` -> ``(keypoints [T, P, K, 2],
    scores [T, P, K])`` with people matched across frames; empty slots have score 0."""
    import numpy as np

    t_len, k = len(frames), num_keypoints
    p_max = max((len(f[0]) for f in frames), default=0)
    kp = np.zeros((t_len, p_max, k, 2))
    sc = np.zeros((t_len, p_max, k))
    last = np.full((p_max, 2), np.nan)  # last seen centre of each slot
    for t, (fk, fs) in enumerate(frames):
        n = len(fk)
        if n == 0:
            continue
        centres = np.stack([_centre(fk[i], fs[i], threshold) for i in range(n)])
        dist = np.linalg.norm(centres[:, None] - last[None], axis=-1)  # [n, p_max], NaN if unknown
        dist = np.where(np.isnan(dist), np.inf, dist)
        slot_of = [-1] * n
        used: set[int] = set()
        for flat in np.argsort(dist, axis=None, kind="stable").tolist():
            i, s = divmod(flat, p_max)
            if slot_of[i] < 0 and s not in used and np.isfinite(dist[i, s]):
                slot_of[i] = s
                used.add(s)
        free = [s for s in range(p_max) if s not in used]
        for i in range(n):
            if slot_of[i] < 0:
                slot_of[i] = free.pop(0)
            s = slot_of[i]
            kp[t, s], sc[t, s] = fk[i], fs[i]
            if np.isfinite(centres[i]).all():
                last[s] = centres[i]
    return kp, sc
