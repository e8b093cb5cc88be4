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

if TYPE_CHECKING:
    import torch

    from motionctx.types import PoseSequence, Video
    from motionctx_toy.world import CrossIdentityCase

#: PSNR reported for identical inputs (and the ceiling for near-identical ones).
MAX_PSNR = 100.0
#: Default colour distance (RGB, Euclidean, [0, 1] units) above which a pixel is foreground.
FOREGROUND_THRESHOLD = 0.1


def _frames(x: Any, what: str) -> torch.Tensor:
    import torch

    t = getattr(x, "frames", None)
    if t is None:
        t = getattr(x, "pixels", x)
    if not isinstance(t, torch.Tensor):
        raise InputError(f"{what}: expected a Video, Image or tensor, got {type(x).__name__}")
    if t.ndim == 3:
        t = t.unsqueeze(0)
    if t.ndim != 4 or t.shape[1] != 3:
        raise InputError(f"{what}: expected [T, 3, H, W] or [3, H, W], got {tuple(t.shape)}")
    return t.float()


def _pair(pred: Any, target: Any) -> tuple[torch.Tensor, torch.Tensor]:
    p, t = _frames(pred, "prediction"), _frames(target, "target")
    if p.shape != t.shape:
        raise InputError(
            f"prediction {tuple(p.shape)} and target {tuple(t.shape)} differ in shape",
            "compare clips with the same frame count and size",
        )
    return p, t


def psnr(pred: Any, target: Any, max_db: float = MAX_PSNR) -> float:
    """Peak signal-to-noise ratio in dB over the whole clip, capped at ``max_db``."""
    p, t = _pair(pred, target)
    mse = float((p - t).pow(2).mean())
    return max_db if mse <= 10 ** (-max_db / 10) else min(max_db, -10.0 * math.log10(mse))


def ssim(pred: Any, target: Any, window: int = 11) -> float:
    """Mean structural similarity (kornia), averaged over frames and channels."""
    import kornia

    p, t = _pair(pred, target)
    win = min(window, *p.shape[-2:])
    win = win if win % 2 else win - 1
    return float(kornia.metrics.ssim(p, t, win, max_val=1.0).mean())


def foreground_mask(video: Any, background: Any, threshold: float = FOREGROUND_THRESHOLD) -> torch.Tensor:
    """``[T, 1, H, W]`` float mask of pixels whose colour is farther than ``threshold`` from the
    known background (``[3, H, W]`` or one per frame)."""
    v = _frames(video, "video")
    bg = _frames(background, "background")
    if bg.shape[-2:] != v.shape[-2:]:
        raise InputError(f"background {tuple(bg.shape)} does not match the video {tuple(v.shape)}")
    return ((v - bg).pow(2).sum(dim=1, keepdim=True).sqrt() > threshold).float()


def iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """Intersection over union of two masks (values > 0.5 are in); two empty masks give 1."""
    if a.shape != b.shape:
        raise InputError(f"masks differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    x, y = a > 0.5, b > 0.5
    union = int((x | y).sum())
    return 1.0 if union == 0 else int((x & y).sum()) / union


def silhouette_iou(pred: Any, target_mask: torch.Tensor, background: Any,
                   threshold: float = FOREGROUND_THRESHOLD) -> float:
    """IoU between the foreground segmented from ``pred`` and the exact ``target_mask``."""
    return iou(foreground_mask(pred, background, threshold), target_mask)


def foreground_colour_distance(pred: Any, target: Any, pred_mask: torch.Tensor, target_mask: torch.Tensor) -> float:
    """Mean over frames of the distance between the average foreground colours of ``pred`` and
    ``target``. A frame where the prediction shows no foreground but the target does counts as the
    largest distance (sqrt 3); frames where neither does are skipped (0 if none are left)."""
    p, t = _pair(pred, target)
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
