"""Built-in recipe stages that need no model: ``compose`` (inspect the in-context input)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Optional

from pydantic import Field

from motionctx.hookspecs import hookimpl
from motionctx.parts import PartConfig, Stage, StageResult

if TYPE_CHECKING:
    from motionctx.pipeline import Pipeline


class ComposeStage(Stage):
    """Build and save the in-context input without any model: the motion signal, the composite
    video (what the backbone would be given) and the prompt. Useful to check a recipe's parts."""

    name: ClassVar[str] = "compose"
    requires: ClassVar[tuple[str, ...]] = ("motion", "composer")

    class Config(PartConfig):
        reference: str = Field(description="reference image path")
        driving: str = Field(description="driving video path")
        size: Optional[tuple[int, int]] = Field(None, description="target size [H, W]; default: the reference's")
        max_frames: Optional[int] = Field(None, ge=1, description="use at most this many driving frames")
        seed: int = Field(0, description="seed for training-time augmentation when train is true")
        train: bool = Field(False, description="apply the motion source's training augmentation")

    def run(self, pipeline: Pipeline) -> StageResult:
        import torch

        from motionctx.engines.inputs import fit_inputs
        from motionctx.io import atomic_write_text, write_video
        from motionctx.types import Geometry

        c = self.config
        geometry = pipeline.part("backbone").geometry if pipeline.has_part("backbone") else Geometry()
        inputs = fit_inputs(c.reference, c.driving, geometry, size=c.size, max_frames=c.max_frames,
                            warn=lambda m: pipeline.console.log(f"[yellow]{m}"))
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


@hookimpl
def register_stages(register) -> None:
    register(ComposeStage)
