"""Per-pixel comparisons: PSNR, SSIM, foreground masks, IoU and colour histograms.

Inputs are :class:`~motionctx.types.Video` / :class:`~motionctx.types.Image` objects or float
tensors in [0, 1] shaped ``[T, 3, H, W]`` or ``[3, H, W]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError

if TYPE_CHECKING:
    import torch

#: PSNR reported for identical inputs (and the ceiling for near-identical ones).
MAX_PSNR = 100.0
#: Default colour distance (RGB, Euclidean, [0, 1] units) above which a pixel is foreground.
FOREGROUND_THRESHOLD = 0.1


def as_frames(x: Any, what: str) -> torch.Tensor:
    """``x`` (a Video, an Image or a tensor) as float frames ``[T, 3, H, W]``."""
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


def frame_pair(pred: Any, target: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both as frames; InputError when their shapes differ."""
    p, t = as_frames(pred, "prediction"), as_frames(target, "target")
    if p.shape != t.shape:
        raise InputError(
            f"prediction {tuple(p.shape)} and target {tuple(t.shape)} differ in shape",
            "compare clips with the same frame count and size",
        )
    return p, t


def psnr(pred: Any, target: Any, max_db: float = MAX_PSNR) -> float:
    """Peak signal-to-noise ratio in dB over the whole clip, capped at ``max_db``."""
    p, t = frame_pair(pred, target)
    mse = float((p - t).pow(2).mean())
    return max_db if mse <= 10 ** (-max_db / 10) else min(max_db, -10.0 * math.log10(mse))


def ssim(pred: Any, target: Any, window: int = 11) -> float:
    """Mean structural similarity (kornia), averaged over frames and channels."""
    import kornia

    p, t = frame_pair(pred, target)
    win = min(window, *p.shape[-2:])
    win = win if win % 2 else win - 1
    return float(kornia.metrics.ssim(p, t, win, max_val=1.0).mean())


def foreground_mask(video: Any, background: Any, threshold: float = FOREGROUND_THRESHOLD) -> torch.Tensor:
    """``[T, 1, H, W]`` float mask of pixels whose colour is farther than ``threshold`` from the
    known background (``[3, H, W]`` or one per frame)."""
    v = as_frames(video, "video")
    bg = as_frames(background, "background")
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
    """IoU between the foreground segmented from ``pred`` and ``target_mask``."""
    return iou(foreground_mask(pred, background, threshold), target_mask)


def colour_histogram(frames: Any, bins: int = 8, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Normalised joint RGB histogram (``bins`` levels per channel) of every pixel, or of the
    pixels where ``mask [T, 1, H, W]`` is above 0.5; all zeros when the mask is empty."""
    import torch

    f = as_frames(frames, "frames")
    q = (f.clamp(0, 1) * (bins - 1)).round().long()
    idx = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    if mask is not None:
        idx = idx[mask[:, 0] > 0.5]
    h = torch.bincount(idx.flatten(), minlength=bins**3).float()
    return h / h.sum().clamp_min(1.0)


def histogram_overlap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Histogram intersection of two normalised histograms: 1 = the same colours, 0 = none shared."""
    return float(a.minimum(b).sum())


def _palette(pixels: torch.Tensor, levels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The distinct colours of ``pixels [N, 3]`` after quantising to ``levels`` per channel, and
    the fraction of pixels each stands for."""
    q = (pixels.clamp(0, 1) * (levels - 1)).round()
    colours, counts = q.unique(dim=0, return_counts=True)
    return colours / (levels - 1), counts.float() / counts.sum()


def colour_chamfer(a: torch.Tensor, b: torch.Tensor, levels: int = 16) -> float:
    """How far apart two sets of colours ``[N, 3]`` and ``[M, 3]`` are: the mean distance (RGB,
    0 to sqrt 3) from each pixel of one to the nearest colour of the other, averaged both ways.

    Unlike a histogram it barely moves when compression shifts colours a little, and it grows
    with how wrong a colour is, not only whether it is. Either set empty: sqrt 3 (the largest)."""
    import torch

    if a.numel() == 0 or b.numel() == 0:
        return math.sqrt(3.0)
    (ca, wa), (cb, wb) = _palette(a.float(), levels), _palette(b.float(), levels)
    d = torch.cdist(ca, cb)
    return float(0.5 * ((d.min(dim=1).values * wa).sum() + (d.min(dim=0).values * wb).sum()))
