"""Built-in motion sources: ``raw_video`` (the end-to-end variant)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from motionctx.hookspecs import hookimpl
from motionctx.parts import MotionSource, PartConfig
from motionctx.types import Image, Video

if TYPE_CHECKING:
    import torch


def fit_frames(frames: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    """Resize ``[T, 3, H, W]`` frames to ``size``: ``stretch``, ``crop`` (fill, centre crop) or
    ``pad`` (fit inside, centre, black bars)."""
    import torch.nn.functional as F

    h, w = size
    th, tw = frames.shape[-2:]
    if (th, tw) == (h, w):
        return frames
    if mode == "stretch":
        return F.interpolate(frames, size=(h, w), mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)
    scale = max(h / th, w / tw) if mode == "crop" else min(h / th, w / tw)
    nh, nw = max(1, round(th * scale)), max(1, round(tw * scale))
    resized = F.interpolate(frames, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)
    if mode == "crop":
        top, left = (nh - h) // 2, (nw - w) // 2
        return resized[..., top : top + h, left : left + w].contiguous()
    out = frames.new_zeros((frames.shape[0], 3, h, w))
    top, left = (h - nh) // 2, (w - nw) // 2
    out[..., top : top + nh, left : left + nw] = resized
    return out


class RawVideoMotionSource(MotionSource):
    """The driving frames themselves, fitted to the reference's size (end-to-end variant)."""

    name: ClassVar[str] = "raw_video"

    class Config(PartConfig):
        fit: Literal["crop", "pad", "stretch"] = Field(
            "crop", description="how the driving frames are fitted to the reference's size"
        )

    def prepare(
        self, driving: Video, reference: Image, *, train: bool = False, rng: torch.Generator | None = None
    ) -> Video:
        return Video(fit_frames(driving.frames, reference.size, self.config.fit), driving.fps)


@hookimpl
def register_motion_sources(register) -> None:
    register(RawVideoMotionSource)
