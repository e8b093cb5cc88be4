"""The exact answer for a synthesised pseudo pair, and how close a teacher came to it.

The end-to-end loop animates a reference image with a window of a driving clip. When both are toy
media (written with their ``.toy.json`` sidecars, as :func:`~motionctx_toy.dataset.write_toy_dataset`
does), the right output is known: the reference's character(s) performing the driving clip's motion
on the reference's background, in the driving clip's placements, cut to the window. This is how
:meth:`ToyWorld.cross_identity_case <motionctx_toy.world.ToyWorld.cross_identity_case>` builds its
targets, so :func:`unit_truth` of a case's reference and driving clip is the case's target.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx_toy.metrics import FOREGROUND_THRESHOLD, foreground_colour_distance, foreground_mask, iou, psnr
from motionctx_toy.spec import ClipSpec

if TYPE_CHECKING:
    from motionctx.types import Image
    from motionctx_toy.clip import ToyClip


def _sidecar_spec(media: str | Path, role: str) -> ClipSpec:
    from motionctx_toy.assets import read_sidecar, sidecar_path

    try:
        doc = read_sidecar(media)
    except InputError as exc:
        raise InputError(f"the {role} {str(media)!r} has no usable toy sidecar: {exc.message}",
                         f"toy media carry {sidecar_path(media).name} beside them (save_clip writes it)") from None
    if not doc.get("spec"):
        raise InputError(f"the {role} sidecar {str(sidecar_path(media))!r} has no clip spec",
                         "write it from a clip rendered from seeds")
    return ClipSpec(**doc["spec"])


def truth_spec(reference: ClipSpec, driving: ClipSpec) -> ClipSpec:
    """The whole clip that answers animating ``reference`` (a still's spec) with ``driving``: the
    reference's characters and background, the driving clip's motions, placements, frames, size,
    rate and supersampling. InputError when the character counts, families or frame sizes differ."""
    ref_fams = [c.family for c in reference.characters]
    drv_fams = [c.family for c in driving.characters]
    if len(ref_fams) != len(drv_fams):
        raise InputError(f"the reference shows {len(ref_fams)} characters but the driving clip {len(drv_fams)}",
                         "pair a reference and a driving clip with as many characters")
    if ref_fams != drv_fams:
        raise InputError(f"the reference's families {ref_fams} differ from the driving clip's {drv_fams}",
                         "a toy motion belongs to one family: pair media of the same family")
    if tuple(reference.size) != tuple(driving.size):
        raise InputError(f"the reference is {reference.size[0]}x{reference.size[1]} but the driving clip "
                         f"{driving.size[0]}x{driving.size[1]}", "pair media of one toy world (one frame size)")
    return ClipSpec(
        characters=reference.characters, motions=driving.motions, frames=driving.frames, size=driving.size,
        background=reference.background, background_kind=reference.background_kind,
        placements=driving.placements, fps=driving.fps, supersample=driving.supersample,
    )


def cut_clip(clip: ToyClip, start: int, frames: int) -> ToyClip:
    """Frames ``[start, start + frames)`` of ``clip`` (video, keypoints and masks); the video's
    ``start`` says where the window began. The metadata keeps the whole clip's spec as
    ``source_spec`` with the ``window``; ``spec`` stays only when the window is the whole clip."""
    from motionctx.types import Video

    total = clip.video.num_frames
    if start < 0 or frames < 1 or start + frames > total:
        raise InputError(f"window of {frames} frames from frame {start} does not fit a clip of {total} frames",
                         f"use 0 <= start and start + frames <= {total}")
    end = start + frames
    video = Video(clip.video.frames[start:end], clip.video.fps, clip.video.start + start)
    poses = tuple(dataclasses.replace(p, keypoints=p.keypoints[start:end], scores=p.scores[start:end])
                  for p in clip.character_poses)
    meta: dict[str, Any] = {**clip.metadata, "frames": frames, "window": {"start": start, "frames": frames}}
    if frames != total:
        meta["source_spec"] = meta.pop("spec", None)
    return dataclasses.replace(clip, video=video, character_poses=poses, mask=clip.mask[start:end],
                               character_masks=clip.character_masks[:, start:end], metadata=meta)


def unit_truth(reference: str | Path, driving: str | Path, start: int = 0, frames: int | None = None) -> ToyClip:
    """The exact answer for one synthesised unit: the character(s) of the toy still ``reference``
    performing the motion of the toy clip ``driving``, on the reference's background, frames
    ``[start, start + frames)`` (``frames``: to the end of the clip when None).

    Both are media paths whose ``.toy.json`` sidecars sit beside them (``clip.mp4`` ->
    ``clip.toy.json``, ``clip.reference.png`` -> ``clip.reference.toy.json``); only the sidecars
    are read. InputError when a sidecar is missing or has no spec, when the families (or character
    counts, or frame sizes) differ, or when the window does not fit the driving clip.
    """
    from motionctx_toy.clip import render_spec

    spec = truth_spec(_sidecar_spec(reference, "reference"), _sidecar_spec(driving, "driving clip"))
    frames = spec.frames - start if frames is None else frames
    if start < 0 or frames < 1 or start + frames > spec.frames:
        raise InputError(f"window of {frames} frames from frame {start} does not fit the driving clip "
                         f"{str(driving)!r} of {spec.frames} frames", f"use 0 <= start and start + frames <= {spec.frames}")
    return cut_clip(render_spec(spec), start, frames)


def _load(x: Any, what: str) -> Any:
    """``x`` itself, or the image or video read from a path."""
    if not isinstance(x, (str, Path)):
        return x
    from motionctx.io import read_image, read_video

    if Path(x).suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"):
        return read_image(x)
    if what == "reference":
        raise InputError(f"the reference {str(x)!r} is not an image file", "give a .png, .jpg or .webp")
    return read_video(x)


def score_unit(video: Any, truth: ToyClip, reference: Image | str | Path | Any,
               threshold: float = FOREGROUND_THRESHOLD) -> dict[str, float]:
    """How close a synthesised ``video`` (a Video, frames ``[T, 3, H, W]`` or a video file) came to
    its ``truth`` (:func:`unit_truth`), as :func:`~motionctx_toy.metrics.score_case` scores a case.

    Returns ``iou`` (the video's foreground, segmented against the truth's known background, vs the
    truth's exact silhouette), ``psnr``, ``colour_distance`` (mean foreground colours) and
    ``iou_copy``: the IoU of the copy-the-reference baseline for the same unit (``reference``, an
    Image, tensor or image file, repeated for every frame), so ``iou > iou_copy`` says the teacher
    beat copying here.
    """
    from motionctx.metrics.image import as_frames

    pred = as_frames(_load(video, "video"), "synthesised video")
    still = as_frames(_load(reference, "reference"), "reference")
    if still.shape[0] != 1:
        raise InputError(f"the reference must be one image, got {still.shape[0]} frames")
    mask = foreground_mask(pred, truth.background, threshold)
    copy = still.expand(truth.video.num_frames, -1, -1, -1)
    return {
        "iou": iou(mask, truth.mask),
        "psnr": psnr(pred, truth.video),
        "colour_distance": foreground_colour_distance(pred, truth.video, mask, truth.mask),
        "iou_copy": iou(foreground_mask(copy, truth.background, threshold), truth.mask),
    }
