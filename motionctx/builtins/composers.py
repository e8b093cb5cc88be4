"""Built-in composers: ``spatial`` (the method), ``temporal`` (ablation), ``first_frame`` (baseline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from motionctx.errors import InputError
from motionctx.hookspecs import hookimpl
from motionctx.parts import Composer, PartConfig
from motionctx.types import Composite, Geometry, Image, Region, Video

if TYPE_CHECKING:
    import torch

#: 0.5 in [0, 1] is 0 in a backbone's [-1, 1] range: the value stock image-to-video pipelines pad with.
FILL_DOC = "pixel value of unknown frames in [0, 1]; 0.5 maps to 0 in the backbone's [-1, 1] range"


def _check_sizes(reference: Image, motion: Video, composer: str) -> None:
    if reference.size != motion.size:
        raise InputError(
            f"{composer} composer: reference is {reference.size[0]}x{reference.size[1]} but the motion "
            f"signal is {motion.size[0]}x{motion.size[1]} (H x W)",
            "resize the reference to the motion size first (the animate stage does this for you)",
        )


def _zeros(t: int, h: int, w: int, like: torch.Tensor, channels: int = 1) -> torch.Tensor:
    return like.new_zeros((t, channels, h, w))


class SpatialComposer(Composer):
    """The method's in-context layout: reference and motion side by side along the width.

    Frame 1 is ``ref | D[1]``, later frames ``fill | D[t]``. The reference region is known at
    frame 1 only, the motion region at every frame; the output is the reference-side half.
    """

    name: ClassVar[str] = "spatial"

    class Config(PartConfig):
        reference_side: Literal["left", "right"] = Field("left", description="which half holds the reference")
        fill: float = Field(0.5, ge=0.0, le=1.0, description=FILL_DOC)

    def composite_shape(self, frames: int, height: int, width: int, geometry: Geometry | None = None) -> tuple[int, int, int]:
        """Twice as wide: reference half and motion half."""
        return frames, height, 2 * width

    def compose(self, reference: Image, motion: Video, geometry: Geometry | None = None) -> Composite:
        import torch

        _check_sizes(reference, motion, self.name)
        t, _, h, w = motion.frames.shape
        m = motion.frames
        ref_half = m.new_full((t, 3, h, w), self.config.fill)
        ref_half[0] = reference.pixels
        ref_known = _zeros(t, h, w, m)
        ref_known[0] = 1.0
        mot_known = m.new_ones((t, 1, h, w))
        left = self.config.reference_side == "left"

        def cat(ref_side: torch.Tensor, motion_side: torch.Tensor) -> torch.Tensor:
            return torch.cat((ref_side, motion_side) if left else (motion_side, ref_side), dim=-1)

        return Composite(
            video=Video(cat(ref_half, m), motion.fps),
            known={"reference": cat(ref_known, _zeros(t, h, w, m)), "motion": cat(_zeros(t, h, w, m), mot_known)},
            target=Region(frames=(0, t), top=0, left=0 if left else w, height=h, width=w),
            layout=self.name,
        )


def _target_length(t: int, geometry: Geometry | None) -> int:
    """Frames of the temporal layout's target part: at least ``t``, so that ``t`` plus it meets
    the frame rule (``temporal_factor * k + 1``)."""
    f = (geometry or Geometry()).temporal_factor
    n = t
    while (t + n - 1) % f:
        n += 1
    return n


class TemporalComposer(Composer):
    """Ablation: the motion frames first, then the target frames, along time.

    The target part starts with the reference (known) followed by fill frames, and is padded so the
    total frame count meets the backbone's frame rule (``temporal_factor * k + 1``); the output is
    the first ``T`` target frames.
    """

    name: ClassVar[str] = "temporal"

    class Config(PartConfig):
        fill: float = Field(0.5, ge=0.0, le=1.0, description=FILL_DOC)

    def composite_shape(self, frames: int, height: int, width: int, geometry: Geometry | None = None) -> tuple[int, int, int]:
        """The motion frames, then the target part padded to the frame rule."""
        return frames + _target_length(frames, geometry), height, width

    def compose(self, reference: Image, motion: Video, geometry: Geometry | None = None) -> Composite:
        import torch

        _check_sizes(reference, motion, self.name)
        t, _, h, w = motion.frames.shape
        m = motion.frames
        target_len = _target_length(t, geometry)
        target = m.new_full((target_len, 3, h, w), self.config.fill)
        target[0] = reference.pixels
        total = t + target_len
        ref_known = _zeros(total, h, w, m)
        ref_known[t] = 1.0
        mot_known = _zeros(total, h, w, m)
        mot_known[:t] = 1.0
        return Composite(
            video=Video(torch.cat([m, target]), motion.fps),
            known={"reference": ref_known, "motion": mot_known},
            target=Region(frames=(t, 2 * t), top=0, left=0, height=h, width=w),
            layout=self.name,
        )


class FirstFrameComposer(Composer):
    """The stock image-to-video layout with no motion: ``[reference, fill, fill, ...]``.

    Used for the no-LoRA baseline and for parity with diffusers' image-to-video pipelines. Only
    the motion's frame count, size and fps are used.
    """

    name: ClassVar[str] = "first_frame"
    uses_motion: ClassVar[bool] = False

    class Config(PartConfig):
        fill: float = Field(0.5, ge=0.0, le=1.0, description=FILL_DOC)

    def compose(self, reference: Image, motion: Video, geometry: Geometry | None = None) -> Composite:
        _check_sizes(reference, motion, self.name)
        t, _, h, w = motion.frames.shape
        frames = motion.frames.new_full((t, 3, h, w), self.config.fill)
        frames[0] = reference.pixels
        known = _zeros(t, h, w, frames)
        known[0] = 1.0
        return Composite(
            video=Video(frames, motion.fps),
            known={"reference": known},
            target=Region(frames=(0, t), top=0, left=0, height=h, width=w),
            layout=self.name,
        )


@hookimpl
def register_composers(register) -> None:
    register(SpatialComposer)
    register(TemporalComposer)
    register(FirstFrameComposer)
