"""Built-in recipe stages: ``compose`` (inspect the in-context input) and ``animate``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from motionctx.hookspecs import hookimpl
from motionctx.parts import PartConfig, Stage, StageResult

if TYPE_CHECKING:
    from motionctx.pipeline import Pipeline


class MediaInputs(PartConfig):
    """Settings shared by stages that read a reference image and a driving video: the files and the
    working size (see :func:`motionctx.engines.inputs.fit_inputs`)."""

    reference: str = Field(description="reference image path")
    driving: str = Field(description="driving video path")
    size: tuple[int, int] | None = Field(None, description="working (output) size [H, W]; default: the reference's")
    area: int | None = Field(
        None, ge=64, description="without size: scale the reference to about this many pixels, aspect kept"
    )
    max_area: int | None = Field(
        None, ge=64, description="without size or area: a larger reference is scaled down to about this many "
        "pixels (default 1048576)"
    )
    driving_area: int | None = Field(
        None, ge=64, description="decode driving frames at most this many pixels, aspect kept (default: 399360 "
        "or the working area when larger)"
    )
    max_frames: int | None = Field(None, ge=1, description="use at most this many driving frames")


class ComposeStage(Stage):
    """Build and save the in-context input without any model: the motion signal, the composite
    video (what the backbone would be given) and the prompt. Useful to check a recipe's parts."""

    name: ClassVar[str] = "compose"
    requires: ClassVar[tuple[str, ...]] = ("motion", "composer")
    input_files: ClassVar[dict[str, str]] = {"reference": "image", "driving": "video"}
    fresh_outputs: ClassVar[bool] = True

    class Config(MediaInputs):
        seed: int = Field(0, description="seed for training-time augmentation when train is true")
        train: bool = Field(False, description="apply the motion source's training augmentation")

    def run(self, pipeline: Pipeline) -> StageResult:
        import torch

        from motionctx.engines.inputs import MemoryCheck, fit_inputs
        from motionctx.io import atomic_write_text, write_video
        from motionctx.types import Geometry

        c = self.config
        geometry = pipeline.part("backbone").geometry if pipeline.has_part("backbone") else Geometry()
        inputs = fit_inputs(
            c.reference, c.driving, geometry, size=c.size, area=c.area, max_area=c.max_area,
            max_frames=c.max_frames, driving_area=c.driving_area, memory=MemoryCheck(self.name, pipeline.stage_key),
            warn=lambda m: pipeline.console.log(f"[yellow]{m}"),
        )
        motion = pipeline.part("motion").prepare(
            inputs.driving, inputs.reference, train=c.train, rng=torch.Generator().manual_seed(c.seed)
        )
        composite = pipeline.part("composer").compose(inputs.reference, motion, geometry)
        prompt = pipeline.part("text").describe(inputs.reference, inputs.driving) if pipeline.has_part("text") else ""
        out = pipeline.output_dir
        outputs = {
            "motion": write_video(out / "motion.mp4", motion),
            "composite": write_video(out / "composite.mp4", composite.video),
            "prompt": atomic_write_text(out / "prompt.txt", prompt + "\n"),
        }
        t, _, h, w = composite.video.frames.shape
        return StageResult(outputs, {"composite_frames": t, "composite_size": [h, w], "notes": inputs.notes})


class AnimateStage(Stage):
    """Animate a reference image with the motion of a driving video (the method's inference).

    Writes the output video at the driving video's frame rate, ``preview.mp4`` (reference |
    driving | motion signal | output), ``contact_sheet.png``, and the prompt; ``run.json`` records
    the resolved recipe, seed and timings.
    """

    name: ClassVar[str] = "animate"
    requires: ClassVar[tuple[str, ...]] = ("backbone", "motion", "composer")
    input_files: ClassVar[dict[str, str]] = {"reference": "image", "driving": "video"}
    fresh_outputs: ClassVar[bool] = True

    class Config(MediaInputs):
        output: str = Field("out.mp4", description="output video, relative to the output folder")
        steps: int = Field(30, ge=1, description="denoising steps")
        guidance: float = Field(5.0, ge=0.0, description="classifier-free guidance scale (1 = off)")
        negative_prompt: str = Field("", description="negative prompt for guidance")
        prompt: str | None = Field(None, description="fixed prompt; default: the text guider's description")
        seed: int = Field(0, description="random seed (segment i uses seed + i)")
        segment_frames: int | None = Field(
            None, ge=1, description="frames per sampled segment for long clips (null: the backbone's max_frames)"
        )
        carry: Literal["last_frame", "reference"] = Field(
            "last_frame", description="what starts each later segment: the previous last frame, or the reference"
        )
        keep_known: bool = Field(True, description="return the given reference pixels of frame 1 as given")
        previews: bool = Field(True, description="write preview.mp4 and contact_sheet.png")

    def run(self, pipeline: Pipeline) -> StageResult:
        from motionctx.engines.inputs import MemoryCheck, fit_inputs
        from motionctx.engines.memory import sampling_bytes
        from motionctx.engines.preview import write_previews
        from motionctx.engines.sampling import animate
        from motionctx.io import atomic_write_text, write_video

        c = self.config
        backbone = pipeline.part("backbone")
        segment = backbone.geometry.snap_frames(c.segment_frames or backbone.geometry.max_frames)
        inputs = fit_inputs(
            c.reference, c.driving, backbone.geometry, size=c.size, area=c.area, max_area=c.max_area,
            max_frames=c.max_frames, snap_frames=False, driving_area=c.driving_area,
            memory=MemoryCheck(
                self.name, pipeline.stage_key, segment, c.previews,
                lambda frames, size: sampling_bytes(backbone, pipeline.part("composer"), frames, size, c.guidance),
            ),
            warn=lambda m: pipeline.console.log(f"[yellow]{m}"),
        )
        steps_task = pipeline.progress.add_task("sampling", total=c.steps)

        def progress(segment: int, segments: int, step: int, total: int) -> None:
            pipeline.progress.update(
                steps_task, completed=step, total=total, description=f"sampling segment {segment + 1}/{segments}"
            )

        result = animate(
            backbone, pipeline.part("motion"), pipeline.part("composer"), inputs.reference, inputs.driving,
            text_guider=pipeline.part("text") if pipeline.has_part("text") else None, prompt=c.prompt,
            negative_prompt=c.negative_prompt, steps=c.steps, guidance=c.guidance, seed=c.seed,
            segment_frames=c.segment_frames, carry=c.carry, keep_known=c.keep_known, progress=progress,
        )
        out = pipeline.output_dir
        outputs = {"video": write_video(out / c.output, result.video, fps=inputs.driving.fps)}
        outputs["prompt"] = atomic_write_text(out / "prompt.txt", result.prompt + "\n")
        if c.previews:
            label = "skeleton" if pipeline.part("motion").name == "pose" else "motion"
            outputs.update(write_previews(out, inputs.reference, inputs.driving, result.motion, result.video, label))
        metrics = {"seed": c.seed, "prompt": result.prompt, "segments": result.segments, "frames": result.video.num_frames,
                   "size": list(result.video.size), "notes": inputs.notes,
                   "sampling": backbone.sampling_options()}
        return StageResult(outputs, metrics)


@hookimpl
def register_stages(register) -> None:
    register(ComposeStage)
    register(AnimateStage)
