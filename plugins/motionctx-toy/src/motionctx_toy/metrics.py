"""Scores for toy benchmarks: PSNR, SSIM, silhouette IoU, foreground colour distance, keypoint error.

The toy world knows every background exactly, so the foreground of any video on that background
(generated or not) is recovered by colour distance from it; the ground truth's own mask is exact.
Inputs are :class:`~motionctx.types.Video` / :class:`~motionctx.types.Image` objects or float
tensors in [0, 1] shaped ``[T, 3, H, W]`` or ``[3, H, W]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx.metrics.image import (  # noqa: F401  (re-exported: the image scores live in core)
    FOREGROUND_THRESHOLD,
    MAX_PSNR,
    foreground_mask,
    frame_pair,
    iou,
    psnr,
    silhouette_iou,
    ssim,
)

if TYPE_CHECKING:
    import torch

    from motionctx.types import PoseSequence, Video
    from motionctx_toy.world import CrossIdentityCase

def foreground_colour_distance(pred: Any, target: Any, pred_mask: torch.Tensor, target_mask: torch.Tensor) -> float:
    """Mean over frames of the distance between the average foreground colours of ``pred`` and
    ``target``. A frame where the prediction shows no foreground but the target does counts as the
    largest distance (sqrt 3); frames where neither does are skipped (0 if none are left)."""
    p, t = frame_pair(pred, target)
    dists = []
    for i in range(p.shape[0]):
        pm, tm = pred_mask[i, 0] > 0.5, target_mask[i, 0] > 0.5
        if not tm.any() and not pm.any():
            continue
        if not tm.any() or not pm.any():
            dists.append(math.sqrt(3.0))
            continue
        pc, tc = p[i][:, pm].mean(dim=1), t[i][:, tm].mean(dim=1)
        dists.append(float((pc - tc).pow(2).sum().sqrt()))
    return sum(dists) / len(dists) if dists else 0.0


def keypoint_error(pred: PoseSequence, target: PoseSequence, normalize: bool = False) -> float:
    """Mean distance in pixels between matching keypoints that both sequences see (score > 0);
    ``normalize`` divides by the target frame height. NaN when no keypoint pair is visible."""
    if pred.keypoints.shape != target.keypoints.shape:
        raise InputError(
            f"keypoints differ in shape: {tuple(pred.keypoints.shape)} vs {tuple(target.keypoints.shape)}",
            "compare sequences with the same frames, people and skeleton",
        )
    seen = (pred.scores > 0) & (target.scores > 0)
    if not bool(seen.any()):
        return float("nan")
    err = (pred.keypoints - target.keypoints).pow(2).sum(-1).sqrt()[seen].mean()
    return float(err) / (target.size[0] if normalize else 1.0)


def copy_reference(case: CrossIdentityCase) -> Video:
    """The copy baseline: the reference image repeated for every frame of the target."""
    from motionctx.types import Video

    t = case.target.video.num_frames
    return Video(case.reference.pixels.unsqueeze(0).repeat(t, 1, 1, 1), case.target.video.fps)


def score_case(pred: Any, case: CrossIdentityCase, threshold: float = FOREGROUND_THRESHOLD) -> dict[str, float]:
    """Every image score of ``pred`` (a video the size of the target) against a case's ground truth."""
    target = case.target
    mask = foreground_mask(pred, target.background, threshold)
    return {
        "psnr": psnr(pred, target.video),
        "ssim": ssim(pred, target.video),
        "iou": iou(mask, target.mask),
        "colour_distance": foreground_colour_distance(pred, target.video, mask, target.mask),
    }
