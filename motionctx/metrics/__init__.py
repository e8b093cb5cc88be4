"""Measurements of videos shared by scorers, quality filters and benchmarks.

Importing this package is light; each function imports torch, kornia or OpenCV when called.

- :mod:`~motionctx.metrics.image`: PSNR, SSIM, foreground masks against a known background, IoU,
  colour histograms;
- :mod:`~motionctx.metrics.temporal`: flicker in static regions, optical-flow interpolation error;
- :mod:`~motionctx.metrics.pose`: the distance between two pose sequences after box normalisation;
- :mod:`~motionctx.metrics.features`: frame features from a timm model with local weights, and
  their consistency over a clip.
"""

from motionctx.metrics.image import (
    FOREGROUND_THRESHOLD,
    MAX_PSNR,
    as_frames,
    colour_chamfer,
    colour_histogram,
    foreground_mask,
    histogram_overlap,
    iou,
    psnr,
    silhouette_iou,
    ssim,
)
from motionctx.metrics.pose import motion_correlation, pose_distance, unit_box_keypoints
from motionctx.metrics.temporal import interpolation_error, static_flicker

__all__ = [
    "FOREGROUND_THRESHOLD",
    "MAX_PSNR",
    "as_frames",
    "colour_chamfer",
    "colour_histogram",
    "foreground_mask",
    "histogram_overlap",
    "interpolation_error",
    "iou",
    "motion_correlation",
    "pose_distance",
    "psnr",
    "silhouette_iou",
    "ssim",
    "static_flicker",
    "unit_box_keypoints",
]
