"""Validation previews during training: animate a few examples with the current weights."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from motionctx.engines.training.data import Clip, TrainingData
    from motionctx.engines.training.options import TrainConfig
    from motionctx.parts import Backbone, Composer, MotionSource
    from motionctx.types import Image, Video

__all__ = ["Example", "validation_examples", "write_validation"]


@dataclass
class Example:
    """One validation input: a name, the reference, the driving clip and the prompt."""

    name: str
    reference: Image
    driving: Video
    prompt: str


def validation_examples(config: TrainConfig, clips: list[Clip], data: TrainingData) -> list[Example]:
    """The recipe's ``validation`` inputs, or the first ``validation_clips`` training clips (first
    window, at their bucket size, with their captions)."""
    from motionctx.engines.inputs import fit_inputs

    geometry = data.geometry
    if config.validation:
        out = []
        for i, v in enumerate(config.validation):
            fitted = fit_inputs(v.reference, v.driving, geometry, max_frames=config.validation_frames)
            out.append(Example(f"example-{i}", fitted.reference, fitted.driving, ""))
        return out
    out = []
    for clip in clips[: config.validation_clips]:
        n = min(data.planner.usable_frames(clip), geometry.snap_frames(config.validation_frames))
        _, driving, reference = data.window(clip, 0, n, clip.bucket)
        from motionctx.builtins.motion_sources import fit_frames
        from motionctx.types import Video

        driving = Video(fit_frames(driving.frames, clip.bucket, data.fit), driving.fps)
        out.append(Example(clip.id, reference, driving, clip.caption))
    return out


def write_validation(
    folder: Path,
    examples: list[Example],
    backbone: Backbone,
    motion: MotionSource,
    composer: Composer,
    *,
    steps: int,
    guidance: float,
    seed: int,
) -> list[Path]:
    """Animate every example and write ``<folder>/<name>/preview.mp4`` (+ contact sheet)."""
    import torch

    from motionctx.engines.preview import write_previews
    from motionctx.engines.sampling import animate

    written = []
    with torch.no_grad():
        for ex in examples:
            result = animate(
                backbone,
                motion,
                composer,
                ex.reference,
                ex.driving,
                prompt=ex.prompt,
                steps=steps,
                guidance=guidance,
                seed=seed,
                segment_frames=ex.driving.num_frames,
            )
            paths = write_previews(folder / ex.name, ex.reference, ex.driving, result.motion, result.video)
            written.append(paths["preview"])
    return written
