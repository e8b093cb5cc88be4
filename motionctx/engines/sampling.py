"""The animate engine: motion signal, prompt, composite, sampling (in segments), extraction.

Long driving clips are cut into segments of ``segment_frames`` (default: the backbone's
``geometry.max_frames``, e.g. 81 for Wan 2.1 I2V, 121 for Wan 2.2 TI2V; snapped to the frame rule). With
``carry="last_frame"`` (default) consecutive segments share one frame: the last generated frame
of a segment becomes the known reference frame of the next, so identity and background carry over,
and that shared frame is kept once. With ``carry="reference"`` every segment starts from the
original reference (no drift, but possible jumps at the seams); the shared frame is then taken
from the earlier segment. A last segment shorter than the
frame rule allows is padded by repeating its last motion frame and cut back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError, MotionctxError
from motionctx.types import Geometry, Image, Video

if TYPE_CHECKING:
    import torch

    from motionctx.parts import Backbone, Composer, MotionSource, TextGuider

#: progress(segment_index, segments, step, steps)
Progress = Callable[[int, int, int, int], None]


@dataclass
class Animation:
    """The result of :func:`animate`."""

    video: Video
    motion: Video
    prompt: str
    segments: list[tuple[int, int]] = field(default_factory=list)


def plan_segments(num_frames: int, geometry: Geometry, segment_frames: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` over the driving frames; consecutive segments share one frame.

    Each segment's length is at most ``segment_frames`` snapped to the frame rule; the last may be
    shorter (and is padded when sampled).
    """
    size = geometry.snap_frames(max(1, segment_frames))
    if size < 2 or num_frames <= size:
        return [(0, num_frames)]
    out, start = [], 0
    while start < num_frames - 1:
        stop = min(start + size, num_frames)
        out.append((start, stop))
        start = stop - 1
    return out


def _restore_known(out: torch.Tensor, composite: Any) -> torch.Tensor:
    """``out`` (the target region) with the composite's known pixels of that region put back."""
    import torch

    r = composite.target
    sl = (slice(r.frames[0], r.frames[1]), slice(None), slice(r.top, r.top + r.height), slice(r.left, r.left + r.width))
    known = composite.known_union()[sl]
    return torch.where(known > 0, composite.video.frames[sl], out)


def _pad_to_rule(motion: Video, geometry: Geometry) -> Video:
    import torch

    n = motion.num_frames
    f = geometry.temporal_factor
    want = n if (n - 1) % f == 0 else ((n - 1) // f + 1) * f + 1
    if want == n:
        return motion
    pad = motion.frames[-1:].expand(want - n, -1, -1, -1)
    return Video(torch.cat([motion.frames, pad]), motion.fps)


def animate(
    backbone: Backbone,
    motion_source: MotionSource,
    composer: Composer,
    reference: Image,
    driving: Video,
    *,
    text_guider: TextGuider | None = None,
    prompt: str | None = None,
    negative_prompt: str = "",
    steps: int = 30,
    guidance: float = 5.0,
    seed: int = 0,
    segment_frames: int | None = None,
    carry: str = "last_frame",
    keep_known: bool = True,
    progress: Progress | None = None,
) -> Animation:
    """Animate ``reference`` with the motion of ``driving`` (both already fitted to the geometry).

    ``keep_known``: pixels of the output region that the model was given (the reference at frame
    1) are returned exactly as given rather than as the model redrew them.
    """
    import torch

    geometry = backbone.geometry
    motion = motion_source.prepare(driving, reference, train=False, rng=torch.Generator().manual_seed(seed))
    if motion.num_frames != driving.num_frames or motion.size != reference.size:
        raise MotionctxError(
            f"motion source {motion_source.name!r} returned {motion.num_frames} frames of {motion.size}, "
            f"expected {driving.num_frames} frames of {reference.size}",
            "a motion source must keep the driving frame count and use the reference's size",
        )
    if prompt is None:
        prompt = text_guider.describe(reference, driving) if text_guider is not None else ""
    segments = plan_segments(driving.num_frames, geometry, segment_frames or geometry.max_frames)
    pieces: list[torch.Tensor] = []
    context = reference
    for i, (start, stop) in enumerate(segments):
        seg_motion = _pad_to_rule(Video(motion.frames[start:stop], motion.fps), geometry)
        composite = composer.compose(context, seg_motion, geometry)
        tick = (lambda step, total, _i=i: progress(_i, len(segments), step, total)) if progress else None
        try:
            generated = backbone.sample(
                composite, prompt, negative_prompt=negative_prompt, steps=steps, guidance=guidance,
                seed=seed + i, progress=tick,
            )
        except torch.OutOfMemoryError:
            raise MotionctxError(
                f"out of memory while sampling segment {i + 1}/{len(segments)} "
                f"({composite.video.num_frames} frames of {composite.video.size})",
                "lower the size or segment_frames, or enable the backbone's offload / vae_tiling options",
            ) from None
        out = composer.extract(generated, composite).frames
        if keep_known:  # pixels the model was given (the reference at frame 1) are returned as given
            out = _restore_known(out, composite)
        out = out[: stop - start]
        pieces.append(out if i == 0 else out[1:])  # a later segment's first frame is the shared one
        if carry == "last_frame":
            context = Image(out[-1].clamp(0, 1).contiguous())
    frames = torch.cat(pieces)
    if frames.shape[0] != driving.num_frames:
        raise InputError(f"internal: produced {frames.shape[0]} frames for {driving.num_frames} driving frames")
    return Animation(Video(frames.clamp(0, 1).contiguous(), driving.fps), motion, prompt, segments)
