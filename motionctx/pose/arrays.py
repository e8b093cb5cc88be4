"""Moving between :class:`~motionctx.types.PoseSequence` (torch) and the numpy arrays the pose
functions work on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence, Skeleton


def to_numpy(poses: PoseSequence) -> tuple[np.ndarray, np.ndarray]:
    """``(keypoints float64 [T, P, K, 2], scores float64 [T, P, K])``; non-finite points get score 0."""
    import numpy as np

    kp = poses.keypoints.detach().cpu().numpy().astype(np.float64)
    sc = poses.scores.detach().cpu().numpy().astype(np.float64)
    finite = np.isfinite(kp).all(axis=-1)
    return np.where(finite[..., None], kp, 0.0), np.where(finite, sc, 0.0)


def from_numpy(
    like: PoseSequence,
    keypoints: np.ndarray,
    scores: np.ndarray,
    *,
    size: tuple[int, int] | None = None,
    skeleton: Skeleton | None = None,
) -> PoseSequence:
    """A PoseSequence like ``like`` with new arrays (float32), and optionally a new size or format."""
    import numpy as np
    import torch

    from motionctx.types import PoseSequence

    return PoseSequence(
        torch.from_numpy(np.ascontiguousarray(keypoints, dtype=np.float32)),
        torch.from_numpy(np.ascontiguousarray(scores, dtype=np.float32)),
        skeleton or like.skeleton,
        tuple(size or like.size),  # type: ignore[arg-type]
        like.fps,
    )
