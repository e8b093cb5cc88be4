"""Geometric transforms of whole pose sequences: fitting to a frame size and bounding-box alignment.

Coordinates are continuous pixels: pixel ``i`` covers ``[i, i + 1)``, so resizing a frame by ``s``
maps ``x`` to ``x * s``. Missing joints are moved along with the rest (their scores stay 0), which
keeps them harmless and the arrays rectangular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from motionctx.errors import InputError
from motionctx.pose.arrays import from_numpy, to_numpy

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence

__all__ = ["Box", "bbox", "box_transform", "fit_to_size", "map_box", "normalize_bbox"]

#: ``(x0, y0, x1, y1)`` in pixels.
Box = tuple[float, float, float, float]


def fit_to_size(poses: PoseSequence, size: tuple[int, int], mode: str = "crop") -> PoseSequence:
    """Move keypoints from ``poses.size`` to ``size (H, W)`` exactly as
    :func:`motionctx.builtins.motion_sources.fit_frames` moves the frames.

    ``crop`` scales to cover and cuts the centre (the aspect ratio is kept), ``pad`` scales to fit
    inside and centres (aspect kept, bars around), ``stretch`` scales each axis on its own.
    """
    th, tw = poses.size
    h, w = size
    if (th, tw) == (h, w):
        return poses
    if mode == "stretch":
        sx, sy, ox, oy = w / tw, h / th, 0.0, 0.0
    elif mode in ("crop", "pad"):
        scale = max(h / th, w / tw) if mode == "crop" else min(h / th, w / tw)
        nh, nw = max(1, round(th * scale)), max(1, round(tw * scale))
        sx, sy = nw / tw, nh / th
        if mode == "crop":
            ox, oy = -float((nw - w) // 2), -float((nh - h) // 2)
        else:
            ox, oy = float((w - nw) // 2), float((h - nh) // 2)
    else:
        raise InputError(f"unknown fit mode {mode!r}", "use crop, pad or stretch")
    kp, sc = to_numpy(poses)
    kp = kp * (sx, sy) + (ox, oy)
    return from_numpy(poses, kp, sc, size=(h, w))


def bbox(keypoints: np.ndarray, scores: np.ndarray, threshold: float = 0.3, frames: slice | None = None) -> Box | None:
    """The box around every joint scored above ``threshold`` in ``keypoints [T, P, K, 2]`` (all
    frames, or ``frames``, and all people); ``None`` when no joint is visible."""

    kp, sc = (keypoints, scores) if frames is None else (keypoints[frames], scores[frames])
    pts = kp[sc > threshold]
    if pts.size == 0:
        return None
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def box_transform(source: Box, target: Box) -> tuple[float, tuple[float, float], tuple[float, float]]:
    """``(scale, source_centre, target_centre)`` mapping ``source`` into ``target`` with one scale.

    The scale is the largest that fits the source inside the target (aspect ratio kept) and the
    centres coincide. A source box with zero width (or height) is fitted by its other side; a single
    point is only moved.
    """
    sw, sh = source[2] - source[0], source[3] - source[1]
    tw, th = target[2] - target[0], target[3] - target[1]
    if tw < 0 or th < 0:
        raise InputError(f"target box {target} has negative size", "give (x0, y0, x1, y1) with x0 <= x1, y0 <= y1")
    ratios = [t / s for t, s in ((tw, sw), (th, sh)) if s > 0]
    scale = min(ratios) if ratios else 1.0
    sc = ((source[0] + source[2]) / 2, (source[1] + source[3]) / 2)
    tc = ((target[0] + target[2]) / 2, (target[1] + target[3]) / 2)
    return scale, sc, tc


def map_box(keypoints: np.ndarray, source: Box, target: Box) -> np.ndarray:
    """Apply :func:`box_transform` to ``keypoints [..., 2]``."""
    scale, sc, tc = box_transform(source, target)
    return (keypoints - sc) * scale + tc


def normalize_bbox(
    poses: PoseSequence,
    target: Box,
    *,
    threshold: float = 0.3,
    source: Box | None = None,
    frames: slice | None = None,
) -> PoseSequence:
    """Map the clip's bounding box (all visible joints of all frames and people, or only of
    ``frames``; or the given ``source`` box) onto ``target`` keeping the aspect ratio.

    One transform is used for the whole clip, so the motion inside it is unchanged; only where the
    subject stands and how large it is are replaced. A clip with no visible joint is returned as is.
    """
    kp, sc = to_numpy(poses)
    box = source or bbox(kp, sc, threshold, frames)
    if box is None:
        return poses
    return from_numpy(poses, map_box(kp, box, target), sc)
