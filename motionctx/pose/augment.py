"""Training-time pose augmentation: random bone-length scaling down the kinematic tree.

Each anatomical group of the skeleton (``Skeleton.groups``: edge indices) gets one length factor.
Joints are visited from the root outwards and every joint is placed at
``new[parent] + factor * (old[joint] - old[parent])``: bone directions (so joint angles) are kept,
children move with their parents, and the root stays where it is.

Missing joints (score at or below the threshold) stay missing and keep their coordinates. A
visible joint whose parent is missing hangs from its nearest visible ancestor instead, with the
offset to that ancestor scaled by the mean factor of the bones in between (exact when they share a
factor). A visible joint with no visible ancestor (for example when the neck, and so the root, is
missing) does not move, and anchors its own subtree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from motionctx.errors import InputError
from motionctx.pose.arrays import from_numpy, to_numpy

if TYPE_CHECKING:
    import numpy as np
    import torch

    from motionctx.types import PoseSequence, Skeleton

__all__ = ["bone_groups", "sample_bone_factors", "scale_bones", "scale_bones_array", "tree_order"]


def tree_order(skeleton: Skeleton) -> list[int]:
    """Keypoints ordered so every parent comes before its children (joints outside the tree too)."""
    parents = skeleton.parents
    if not parents:
        raise InputError(
            f"keypoint format {skeleton.name!r} has no kinematic tree",
            "convert the poses to a format that has one first, e.g. motionctx.pose.convert(poses, 'openpose_134')",
        )
    children: dict[int, list[int]] = {}
    for k, p in enumerate(parents):
        children.setdefault(p, []).append(k)
    order, stack = [], list(reversed(children.get(-1, [])))
    while stack:
        k = stack.pop()
        order.append(k)
        stack.extend(reversed(children.get(k, [])))
    if len(order) != len(parents):
        raise InputError(f"keypoint format {skeleton.name!r}: the parents do not form a tree (a cycle?)")
    return order


def bone_groups(skeleton: Skeleton) -> list[str | None]:
    """For each keypoint, the group of the bone from its parent to it (``None``: not scaled)."""
    edge_group: dict[frozenset[int], str] = {}
    for group, edges in skeleton.groups.items():
        for e in edges:
            edge_group[frozenset(skeleton.edges[e])] = group
    return [None if p < 0 else edge_group.get(frozenset((p, k))) for k, p in enumerate(skeleton.parents)]


def sample_bone_factors(
    skeleton: Skeleton,
    low: float = 0.8,
    high: float = 1.2,
    rng: torch.Generator | None = None,
    *,
    symmetric: bool = False,
) -> dict[str, float]:
    """One factor per group of ``skeleton``, uniform in ``[low, high]``, drawn from ``rng``.

    With ``symmetric`` a ``left_*`` group shares the factor of its ``right_*`` twin. Groups are
    drawn in sorted order, so the same generator state always gives the same factors.
    """
    import torch

    if not 0 < low <= high:
        raise InputError(f"bone scale range must satisfy 0 < low <= high, got [{low}, {high}]")
    keys = sorted({(g.replace("left_", "right_", 1) if symmetric else g) for g in skeleton.groups})
    draws = torch.rand(len(keys), generator=rng, dtype=torch.float64).tolist()
    base = {k: low + (high - low) * u for k, u in zip(keys, draws)}
    return {g: base[g.replace("left_", "right_", 1) if symmetric else g] for g in skeleton.groups}


def scale_bones_array(
    keypoints: np.ndarray,
    scores: np.ndarray,
    skeleton: Skeleton,
    factors: Mapping[str, float] | float,
    threshold: float = 0.3,
) -> np.ndarray:
    """Bone scaling on numpy ``keypoints [..., K, 2]`` / ``scores [..., K]`` (see module doc)."""
    import numpy as np

    groups = bone_groups(skeleton)
    unknown = set(factors) - set(skeleton.groups) if isinstance(factors, Mapping) else set()
    if unknown:
        raise InputError(
            f"bone factors for unknown groups {sorted(unknown)} of {skeleton.name!r}",
            f"groups: {', '.join(sorted(skeleton.groups))}",
        )

    def factor(k: int) -> float:
        if groups[k] is None:
            return 1.0
        return float(factors) if not isinstance(factors, Mapping) else float(factors.get(groups[k], 1.0))

    old = np.asarray(keypoints, dtype=np.float64)
    vis = np.asarray(scores) > threshold
    new = old.copy()
    lead = old.shape[:-2]
    # per joint: the nearest visible ancestor-or-self (new and old position), and the factor sum
    # and bone count on the path from it; ``has`` is False where there is no such ancestor.
    anc_new: dict[int, np.ndarray] = {}
    anc_old: dict[int, np.ndarray] = {}
    f_sum: dict[int, np.ndarray] = {}
    n_bones: dict[int, np.ndarray] = {}
    has: dict[int, np.ndarray] = {}
    zeros, no = np.zeros(lead), np.zeros(lead, dtype=bool)
    for k in tree_order(skeleton):
        p = skeleton.parents[k]
        v = vis[..., k]
        if p < 0:
            s, n, h = zeros, zeros, no
            pn = po = old[..., k, :]
        else:
            s, n, h = f_sum[p] + factor(k), n_bones[p] + 1, has[p]
            pn, po = anc_new[p], anc_old[p]
        move = (v & h)[..., None]
        mean_f = (s / np.maximum(n, 1))[..., None]
        new[..., k, :] = np.where(move, pn + mean_f * (old[..., k, :] - po), old[..., k, :])
        vv = v[..., None]
        anc_new[k] = np.where(vv, new[..., k, :], pn)
        anc_old[k] = np.where(vv, old[..., k, :], po)
        f_sum[k], n_bones[k], has[k] = np.where(v, 0.0, s), np.where(v, 0.0, n), v | h
    return new


def scale_bones(poses: PoseSequence, factors: Mapping[str, float] | float, *, threshold: float = 0.3) -> PoseSequence:
    """``poses`` with each group's bones scaled by ``factors[group]`` (missing groups: 1; a number:
    every group). The same factors apply to every frame and person of the clip."""
    kp, sc = to_numpy(poses)
    return from_numpy(poses, scale_bones_array(kp, sc, poses.skeleton, factors, threshold), sc)
