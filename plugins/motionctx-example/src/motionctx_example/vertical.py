"""The ``vertical`` composer: reference on top, motion below."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from motionctx.parts import Composer, PartConfig
from motionctx.types import Composite, Geometry, Image, Region, Video


class VerticalComposer(Composer):
    """In-context layout stacked along the height: frame 1 is the reference over ``D[1]``, later
    frames fill over ``D[t]``; the output is the top half."""

    name: ClassVar[str] = "vertical"

    class Config(PartConfig):
        fill: float = Field(0.5, ge=0.0, le=1.0, description="pixel value of unknown frames in [0, 1]")

    def compose(self, reference: Image, motion: Video, geometry: Geometry | None = None) -> Composite:
        import torch

        if reference.size != motion.size:
            from motionctx.errors import InputError

            raise InputError(f"vertical composer: reference {reference.size} and motion {motion.size} differ")
        t, _, h, w = motion.frames.shape
        top = motion.frames.new_full((t, 3, h, w), self.config.fill)
        top[0] = reference.pixels
        ref_known = motion.frames.new_zeros((t, 1, 2 * h, w))
        ref_known[0, :, :h] = 1.0
        mot_known = motion.frames.new_zeros((t, 1, 2 * h, w))
        mot_known[:, :, h:] = 1.0
        return Composite(
            video=Video(torch.cat([top, motion.frames], dim=2), motion.fps),
            known={"reference": ref_known, "motion": mot_known},
            target=Region(frames=(0, t), top=0, left=0, height=h, width=w),
            layout=self.name,
        )
