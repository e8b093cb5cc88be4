"""From estimated keypoints to the skeleton video a pose-conditioned model sees.

The steps, in order: convert to ``openpose_134`` (when the format maps to it), fill short
dropouts, smooth, scale bones (training), fit to the output size, then either normalise the
clip's bounding box (training) or align it to a given box (inference), and render. The option
models here are shared by the ``pose`` motion source's recipe Config and the ``pose`` CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from motionctx.errors import InputError
from motionctx.parts.base import PartConfig

if TYPE_CHECKING:
    import torch

    from motionctx.pose.transform import Box
    from motionctx.types import PoseSequence, Video

__all__ = ["AugmentOptions", "RenderOptions", "SmoothingOptions", "parts_box", "prepare_poses", "render_options"]

FitMode = Literal["crop", "pad", "stretch"]


class AugmentOptions(PartConfig):
    """Training-only augmentation; each switch is independent for the ablations."""

    bone_scale: tuple[float, float] | None = Field(
        (0.8, 1.2), description="range [low, high] of the per-group bone-length factor; null turns bone scaling off"
    )
    symmetric: bool = Field(False, description="left and right groups share one factor")
    bbox_normalize: bool = Field(True, description="map the clip's bounding box onto bbox_target")
    bbox_target: tuple[float, float, float, float] = Field(
        (0.1, 0.1, 0.9, 0.9), description="target box (x0, y0, x1, y1) as fractions of the output frame"
    )
    probability: float = Field(
        1.0, ge=0.0, le=1.0, description="chance that each enabled augmentation is applied to a clip"
    )

    @model_validator(mode="after")
    def _check(self) -> AugmentOptions:
        if self.bone_scale is not None and not 0 < self.bone_scale[0] <= self.bone_scale[1]:
            raise ValueError(f"bone_scale must be [low, high] with 0 < low <= high, got {list(self.bone_scale)}")
        x0, y0, x1, y1 = self.bbox_target
        if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
            raise ValueError(
                f"bbox_target must be fractions with x0 < x1, y0 < y1 in [0, 1], got {list(self.bbox_target)}"
            )
        return self


class SmoothingOptions(PartConfig):
    """Temporal clean-up of the keypoints before rendering."""

    method: Literal["none", "one_euro", "savgol"] = Field("none", description="smoothing filter")
    max_gap: int = Field(
        0, ge=0, description="fill dropouts of up to this many frames by linear interpolation (0: off)"
    )
    min_cutoff: float = Field(1.0, gt=0, description="one_euro: cutoff at rest in Hz (lower = smoother)")
    beta: float = Field(0.05, ge=0, description="one_euro: how fast the cutoff grows with speed (per pixel/s)")
    window: int = Field(7, ge=1, description="savgol: window length in frames (odd)")
    order: int = Field(2, ge=0, description="savgol: polynomial degree (below the window)")


class RenderOptions(PartConfig):
    """What the OpenPose renderer draws."""

    body: bool = Field(True, description="draw the body limbs and joints")
    hands: bool = Field(True, description="draw the hands")
    face: bool = Field(True, description="draw the face landmarks")
    threshold: float = Field(0.3, ge=0.0, le=1.0, description="joints scored at or below this are missing")
    confidence_colors: bool = Field(False, description="scale each colour by the score of what it draws")
    line_scale: float = Field(
        1.0, gt=0, description="multiplies stroke widths and dot radii (1: ControlNet's sizes for ~512 px frames)"
    )


def render_options(render: RenderOptions) -> dict[str, object]:
    """Keyword arguments for :func:`motionctx.pose.render.render_poses`."""
    options = render.model_dump()
    options["scale"] = options.pop("line_scale")
    return options


def prepare_poses(
    poses: PoseSequence,
    size: tuple[int, int],
    *,
    fit: FitMode = "crop",
    smoothing: SmoothingOptions | None = None,
    augment: AugmentOptions | None = None,
    train: bool = False,
    rng: torch.Generator | None = None,
    align_box: Box | None = None,
    align_frames: slice | None = None,
    align_parts: tuple[str, ...] | None = None,
    threshold: float = 0.3,
) -> PoseSequence:
    """Run the steps of the module doc and return poses in ``size (H, W)`` pixels.

    ``augment`` is used only when ``train``; its random draws (one uniform per switch, then the
    group factors) come from ``rng`` in a fixed order, so a seeded generator reproduces the clip.
    ``align_box`` (pixels of ``size``) is used only when not training: the clip's box (or the box
    of ``align_frames``) is mapped onto it; with ``align_parts`` (names of
    :data:`~motionctx.pose.skeletons.OPENPOSE_134_PARTS`, such as the parts that get drawn) that
    box is measured over those parts only.
    """
    import torch

    from motionctx.pose.augment import sample_bone_factors, scale_bones
    from motionctx.pose.mapping import convert, find_mappings
    from motionctx.pose.smooth import interpolate_gaps, one_euro, savgol
    from motionctx.pose.transform import fit_to_size, normalize_bbox

    try:
        find_mappings(poses.skeleton.name, "openpose_134")
    except InputError:
        pass  # formats outside the OpenPose family keep their own skeleton
    else:
        poses = convert(poses, "openpose_134")
    s = smoothing or SmoothingOptions()
    if s.max_gap:
        poses = interpolate_gaps(poses, s.max_gap, threshold=threshold)
    if s.method == "one_euro":
        poses = one_euro(poses, min_cutoff=s.min_cutoff, beta=s.beta, threshold=threshold)
    elif s.method == "savgol":
        poses = savgol(poses, window=s.window, order=s.order, threshold=threshold)
    a = augment if train else None
    if a is not None:
        u_bone, u_box = torch.rand(2, generator=rng, dtype=torch.float64).tolist()
        if a.bone_scale is not None and poses.skeleton.parents and u_bone < a.probability:
            factors = sample_bone_factors(poses.skeleton, *a.bone_scale, rng, symmetric=a.symmetric)
            poses = scale_bones(poses, factors, threshold=threshold)
    poses = fit_to_size(poses, size, fit)
    h, w = size
    if a is not None:
        if a.bbox_normalize and u_box < a.probability:
            x0, y0, x1, y1 = a.bbox_target
            poses = normalize_bbox(poses, (x0 * w, y0 * h, x1 * w, y1 * h), threshold=threshold)
    elif align_box is not None:
        source = parts_box(poses, align_parts, threshold, align_frames) if align_parts else None
        poses = normalize_bbox(poses, align_box, threshold=threshold, source=source, frames=align_frames)
    return poses


def parts_box(poses: PoseSequence, parts: tuple[str, ...], threshold: float, frames: slice | None) -> Box | None:
    """The box of the named ``openpose_134`` parts (None for other formats or nothing visible)."""
    import numpy as np

    from motionctx.pose.arrays import to_numpy
    from motionctx.pose.skeletons import OPENPOSE_134_PARTS
    from motionctx.pose.transform import bbox

    if poses.skeleton.name != "openpose_134":
        return None
    kp, sc = to_numpy(poses)
    idx = np.concatenate([np.arange(*OPENPOSE_134_PARTS[p]) for p in parts])
    return bbox(kp[:, :, idx], sc[:, :, idx], threshold, frames)


def render_prepared(poses: PoseSequence, size: tuple[int, int], render: RenderOptions | None = None) -> Video:
    """Render prepared poses as a Video of ``size`` at ``poses.fps``."""
    from motionctx.pose.render import render_video

    return render_video(poses, size=size, **render_options(render or RenderOptions()))
