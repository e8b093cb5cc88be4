"""Loading and fitting a reference image and a driving video to a backbone's geometry.

The working size (the reference's, and so the output's) comes from ``size``, else ``area``, else
the reference's own size capped at ``max_area`` pixels; sides snap to the backbone's multiple.
Driving frames are decoded no larger than ``driving_area`` pixels (aspect kept): enough for pose
estimation and for the working size, and never a long clip at full resolution in memory. With a
:class:`MemoryCheck`, the pictures the stage will hold are estimated from the video's header and
refused before decoding when they would not fit (:mod:`motionctx.engines.memory`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from motionctx.checks import AUTO_AREA
from motionctx.errors import InputError
from motionctx.io import read_image, read_video
from motionctx.types import Geometry, Image, Video

#: Driving frames are decoded at most this large (480x832, Wan's working area), or at the
#: working area when that is larger.
DRIVING_AREA = 480 * 832


@dataclass
class FittedInputs:
    """The reference at the target size, the driving clip, and what was changed to fit."""

    reference: Image
    driving: Video
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MemoryCheck:
    """Check the stage's memory before decoding: the stage's name and recipe key (for the hint),
    frames per composite (None: all in one) and whether previews are written."""

    stage: str
    key: str
    segment_frames: int | None = None
    previews: bool = False
    #: bytes the model's sampling adds for ``(frames in one composite, working size)``
    #: (:func:`motionctx.engines.memory.sampling_bytes`); None: not counted
    model: Callable[[int, tuple[int, int]], int] | None = None


def resize_image(image: Image, size: tuple[int, int]) -> Image:
    """Resize to ``size (H, W)`` by centre-cropping to the aspect ratio, then resampling."""
    from motionctx.builtins.motion_sources import fit_frames

    if image.size == size:
        return image
    return Image(fit_frames(image.pixels[None], size, "crop")[0])


def working_size(
    reference: tuple[int, int],
    geometry: Geometry,
    *,
    size: tuple[int, int] | None = None,
    area: int | None = None,
    max_area: int | None = None,
) -> tuple[tuple[int, int], str | None]:
    """The snapped working size ``(H, W)`` for a reference of ``reference`` pixels, and a note
    when it was scaled down for being over ``max_area`` (default :data:`AUTO_AREA`)."""
    note = None
    cap = AUTO_AREA if max_area is None else max_area
    if size is None and area is None and reference[0] * reference[1] > cap:
        area = cap
        note = (f"reference is {reference[0]}x{reference[1]} (H x W), larger than {cap} pixels: scaled to about "
                "that many (set `size` or `area` to choose)")  # fmt: skip
    want = size or reference
    if size is None and area is not None:
        scale = (area / (reference[0] * reference[1])) ** 0.5
        want = (round(reference[0] * scale), round(reference[1] * scale))
    return geometry.snap_size(*want), note


def _driving_header(path: Path) -> tuple[int | None, tuple[int, int]]:
    """Frame count (None when the container does not say) and size of a driving file."""
    from motionctx.engines.training.video import probe
    from motionctx.io.video import IMAGE_SUFFIXES

    if path.suffix.lower() in IMAGE_SUFFIXES:
        return 1, read_image(path).size
    info = probe(path, decode_first=False)
    return (info.frames or None), info.size


def fit_inputs(
    reference: str | Path | Image,
    driving: str | Path | Video,
    geometry: Geometry,
    *,
    size: tuple[int, int] | None = None,
    area: int | None = None,
    max_area: int | None = None,
    max_frames: int | None = None,
    min_frames: int = 1,
    snap_frames: bool = True,
    driving_area: int | None = None,
    memory: MemoryCheck | None = None,
    warn: Callable[[str], None] | None = None,
) -> FittedInputs:
    """Read (if paths) and fit the inputs as the module doc says: the reference to the working
    size, the driving clip cut to ``max_frames`` and, with ``snap_frames``, to the frame rule,
    decoded at most ``driving_area`` pixels large (default: :data:`DRIVING_AREA` or the working
    area). Only the frames used are decoded. Every change is reported through ``warn`` and in
    ``notes``."""
    ref = read_image(reference) if not isinstance(reference, Image) else reference
    target, note = working_size(ref.size, geometry, size=size, area=area, max_area=max_area)
    notes = [note] if note else []
    if target != ref.size:
        notes.append(f"reference resized from {ref.size[0]}x{ref.size[1]} to {target[0]}x{target[1]} (H x W)"
                     + ("" if size or area else f": sides must be multiples of {geometry.size_multiple}"))
        ref = resize_image(ref, target)
    decode_area = driving_area or max(DRIVING_AREA, target[0] * target[1])
    if isinstance(driving, Video):
        drv = driving
    else:
        drv = _read_driving(Path(driving), geometry, decode_area, max_frames, snap_frames, memory, target, notes)
    if max_frames is not None and drv.num_frames > max_frames:
        drv = Video(drv.frames[:max_frames], drv.fps, drv.start)
    if drv.num_frames < min_frames:
        raise InputError(
            f"driving video {str(driving) if not isinstance(driving, Video) else ''!s} has {drv.num_frames} frames; "
            f"at least {min_frames} are needed",
            "use a longer driving clip or lower the frame count",
        )
    if snap_frames:
        n = geometry.snap_frames(drv.num_frames)
        if n != drv.num_frames:
            notes.append(_cut_note(drv.num_frames, n, geometry))
            drv = Video(drv.frames[:n], drv.fps, drv.start)
    for n in notes:
        if warn:
            warn(n)
    return FittedInputs(ref, drv, notes)


def _cut_note(before: int, after: int, geometry: Geometry) -> str:
    return f"driving clip cut from {before} to {after} frames: the backbone takes {geometry.temporal_factor}k+1 frames"


def _read_driving(
    path: Path,
    geometry: Geometry,
    decode_area: int,
    max_frames: int | None,
    snap_frames: bool,
    memory: MemoryCheck | None,
    target: tuple[int, int],
    notes: list[str],
) -> Video:
    """Decode only the frames that will be used, no larger than ``decode_area``; check the
    memory first when asked."""
    from motionctx.io.video import scaled_size

    total, native = _driving_header(path)
    limit = max_frames
    if total is not None:
        use = min(total, max_frames or total)
        limit = geometry.snap_frames(use) if snap_frames else use
        if limit < use:
            notes.append(_cut_note(use, limit, geometry))
        if memory is not None:
            _check_memory(memory, limit, scaled_size(native, decode_area), target)
    drv = read_video(path, max_frames=limit, max_area=decode_area)
    if drv.size != native:
        notes.append(f"driving frames decoded at {drv.size[0]}x{drv.size[1]} instead of {native[0]}x{native[1]} "
                     f"(H x W): at most {decode_area} pixels (set `driving_area` to change)")  # fmt: skip
    return drv


def _check_memory(check: MemoryCheck, frames: int, driving: tuple[int, int], size: tuple[int, int]) -> None:
    from motionctx.engines.memory import MemoryPlan, check_memory
    from motionctx.engines.preview import MIN_PREVIEW_HEIGHT

    preview = size[0] * max(1, -(-MIN_PREVIEW_HEIGHT // size[0])) if check.previews else None
    in_composite = frames if check.segment_frames is None else min(frames, check.segment_frames)
    model = check.model(in_composite, size) if check.model is not None else 0
    plan = MemoryPlan(frames, driving, size, check.segment_frames, preview_height=preview, model_bytes=model)
    check_memory(plan, stage=check.stage, key=check.key)
