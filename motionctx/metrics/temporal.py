"""Measures over time that need no reference: flicker where nothing moves, and how well each
frame is predicted from its neighbours by optical flow (motion smoothness)."""

from __future__ import annotations

from typing import Any

from motionctx.errors import InputError
from motionctx.metrics.image import as_frames


def static_flicker(video: Any, motion_threshold: float = 0.15, mask: Any = None) -> float:
    """Mean absolute change between consecutive frames (0-1, averaged over channels) over the still
    pixels.

    A pixel is still when none of its channels spans ``motion_threshold`` or more over the whole
    clip: no body passes over it, so whatever it still changes is flicker. ``mask [1 or T, 1, H,
    W]`` (optional) further restricts to pixels above 0.5 (the known background, say). 0 for a
    one-frame clip or one with no still pixel."""
    f = as_frames(video, "video")
    if f.shape[0] < 2:
        return 0.0
    still = ((f.amax(dim=0) - f.amin(dim=0)).amax(dim=0) < motion_threshold)[None]  # [1, H, W]
    if mask is not None:
        still = still & (mask.float().amin(dim=0) > 0.5)
    if not bool(still.any()):
        return 0.0
    step = (f[1:] - f[:-1]).abs().mean(dim=1)[:, still[0]]
    return float(step.mean())


def _gray_uint8(frame: Any) -> Any:
    return (frame.mean(dim=0).clamp(0, 1) * 255).round().byte().numpy()


def interpolation_error(video: Any, min_side: int = 64) -> float:
    """Mean absolute error (0-1 scale) of predicting each middle frame from its two neighbours.

    Farneback optical flow (OpenCV) is computed from frame t to t-1 and from t to t+1; both
    neighbours are warped onto frame t and averaged. Smooth, consistent motion is predicted
    well; jumps, jitter and things that appear from nowhere are not. Frames smaller than
    ``min_side`` are enlarged first (flow needs a few pixels per feature). Raises InputError for a
    clip of fewer than 3 frames."""
    import cv2
    import numpy as np
    import torch.nn.functional as F

    f = as_frames(video, "video")
    if f.shape[0] < 3:
        raise InputError(f"motion smoothness needs at least 3 frames, got {f.shape[0]}", "score longer clips")
    h, w = f.shape[-2:]
    scale = max(1, -(-min_side // min(h, w)))
    if scale > 1:
        f = F.interpolate(f, scale_factor=scale, mode="bilinear", align_corners=False).clamp(0, 1)
    gray = [_gray_uint8(x) for x in f]
    rgb = f.permute(0, 2, 3, 1).numpy()
    ys, xs = np.mgrid[0 : f.shape[-2], 0 : f.shape[-1]].astype(np.float32)
    errors = []
    for t in range(1, f.shape[0] - 1):
        warped = []
        for n in (t - 1, t + 1):
            flow = cv2.calcOpticalFlowFarneback(gray[t], gray[n], None, 0.5, 3, 9, 3, 5, 1.1, 0)
            warped.append(cv2.remap(rgb[n], xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE))
        errors.append(float(np.abs((warped[0] + warped[1]) / 2 - rgb[t]).mean()))
    return float(np.mean(errors))
