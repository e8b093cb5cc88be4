"""Comparing two pose sequences whose subjects differ in place and size: each is mapped into the
unit box by its own bounding box over the whole clip (aspect kept), then matching keypoints are
compared. What remains is the motion: how the joints move inside the body's box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from motionctx.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence

UNIT_BOX = (0.0, 0.0, 1.0, 1.0)


def unit_box_keypoints(poses: PoseSequence, threshold: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """``(keypoints [T, P, K, 2], visible [T, P, K])`` with the clip's box of visible joints mapped
    onto the unit box (:func:`motionctx.pose.normalize_bbox`); no visible joint: all invisible."""
    from motionctx.pose.arrays import to_numpy
    from motionctx.pose.transform import normalize_bbox

    kp, sc = to_numpy(normalize_bbox(poses, UNIT_BOX, threshold=threshold))
    return kp, sc > threshold


def pose_distance(a: PoseSequence, b: PoseSequence, threshold: float = 0.3) -> tuple[float, float]:
    """``(distance, seen)``: the mean distance, in units of the normalised box, between matching
    keypoints that both sequences see after :func:`unit_box_keypoints`, and the fraction of ``b``'s
    visible keypoints that ``a`` sees too. People are matched by order; frames and people beyond
    the shorter sequence are ignored. The distance is NaN when no keypoint is seen by both."""
    import numpy as np

    if a.skeleton.num_keypoints != b.skeleton.num_keypoints:
        raise InputError(
            f"cannot compare poses in {a.skeleton.name!r} ({a.skeleton.num_keypoints} keypoints) with "
            f"{b.skeleton.name!r} ({b.skeleton.num_keypoints})",
            "estimate both videos with the same pose estimator",
        )
    ka, va = unit_box_keypoints(a, threshold)
    kb, vb = unit_box_keypoints(b, threshold)
    t, p = min(ka.shape[0], kb.shape[0]), min(ka.shape[1], kb.shape[1])
    if p == 0:
        return float("nan"), 0.0
    ka, va, kb, vb = ka[:t, :p], va[:t, :p], kb[:t, :p], vb[:t, :p]
    both = va & vb
    seen = float(both.sum() / max(1, vb.sum()))
    if not both.any():
        return float("nan"), seen
    return float(np.linalg.norm(ka - kb, axis=-1)[both].mean()), seen


def motion_correlation(a: PoseSequence, b: PoseSequence, threshold: float = 0.3) -> float:
    """Cosine similarity of the two keypoint trajectories after :func:`unit_box_keypoints`, each
    joint taken around its own mean over the frames where both see it: 1 when the joints move the
    same way, 0 when one side stands still, negative when they move oppositely. 0 when there is
    nothing to compare."""
    import numpy as np

    ka, va = unit_box_keypoints(a, threshold)
    kb, vb = unit_box_keypoints(b, threshold)
    t, p = min(ka.shape[0], kb.shape[0]), min(ka.shape[1], kb.shape[1])
    if p == 0 or t < 2 or ka.shape[2] != kb.shape[2]:
        return 0.0
    both = (va[:t, :p] & vb[:t, :p]).astype(np.float64)[..., None]  # [T, P, K, 1]
    count = both.sum(axis=0, keepdims=True)
    keep = count > 1
    if not keep.any():
        return 0.0

    def centred(k: np.ndarray) -> np.ndarray:
        mean = (k[:t, :p] * both).sum(axis=0, keepdims=True) / np.maximum(count, 1)
        return (k[:t, :p] - mean) * both * keep

    x, y = centred(ka), centred(kb)
    nx, ny = float(np.sqrt((x * x).sum())), float(np.sqrt((y * y).sum()))
    if nx < 1e-9 or ny < 1e-9:
        return 0.0
    return float((x * y).sum() / (nx * ny))
