"""Loading and fitting a reference image and a driving video to a backbone's geometry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from motionctx.errors import InputError
from motionctx.io import read_image, read_video
from motionctx.types import Geometry, Image, Video


@dataclass
class FittedInputs:
    """The reference at the target size, the driving clip, and what was changed to fit."""

    reference: Image
    driving: Video
    notes: list[str] = field(default_factory=list)


def resize_image(image: Image, size: tuple[int, int]) -> Image:
    """Resize to ``size (H, W)`` by centre-cropping to the aspect ratio, then resampling."""
    from motionctx.builtins.motion_sources import fit_frames

    if image.size == size:
        return image
    return Image(fit_frames(image.pixels[None], size, "crop")[0])


def fit_inputs(
    reference: str | Path | Image,
    driving: str | Path | Video,
    geometry: Geometry,
    *,
    size: tuple[int, int] | None = None,
    area: int | None = None,
    max_frames: int | None = None,
    min_frames: int = 1,
    snap_frames: bool = True,
    warn: Callable[[str], None] | None = None,
) -> FittedInputs:
    """Read (if paths) and fit the inputs: the reference to ``size`` (default: its own size) snapped
    to ``geometry.size_multiple`` (with ``area``: scaled to about that many pixels, aspect kept);
    the driving clip cut to ``max_frames`` and, with ``snap_frames``,
    to the frame rule. Every change is reported through ``warn`` and in ``notes``."""
    ref = read_image(reference) if not isinstance(reference, Image) else reference
    drv = read_video(driving, max_frames=max_frames) if not isinstance(driving, Video) else driving
    notes: list[str] = []
    if max_frames is not None and drv.num_frames > max_frames:
        drv = Video(drv.frames[:max_frames], drv.fps)
    if drv.num_frames < min_frames:
        raise InputError(
            f"driving video {str(driving) if not isinstance(driving, Video) else ''!s} has {drv.num_frames} frames; "
            f"at least {min_frames} are needed",
            "use a longer driving clip or lower the frame count",
        )
    want = size or ref.size
    if size is None and area is not None:
        scale = (area / (ref.size[0] * ref.size[1])) ** 0.5
        want = (round(ref.size[0] * scale), round(ref.size[1] * scale))
    snapped = geometry.snap_size(*want)
    if snapped != ref.size:
        notes.append(f"reference resized from {ref.size[0]}x{ref.size[1]} to {snapped[0]}x{snapped[1]} (H x W): "
                     f"sides must be multiples of {geometry.size_multiple}")
        ref = resize_image(ref, snapped)
    if snap_frames:
        n = geometry.snap_frames(drv.num_frames)
        if n != drv.num_frames:
            notes.append(f"driving clip cut from {drv.num_frames} to {n} frames: the backbone takes "
                         f"{geometry.temporal_factor}k+1 frames")
            drv = Video(drv.frames[:n], drv.fps)
    for note in notes:
        if warn:
            warn(note)
    return FittedInputs(ref, drv, notes)
