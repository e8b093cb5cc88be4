"""What a recipe asks a backbone to do, in sizes: the stage, frames, sizes, composite and batch.

Training is planned at its worst case: the most frames its ``frames`` range allows and the
largest bucket. Animation is planned per sampled segment at the stage's working size (a
480x832 reference is assumed when the size depends on the reference image).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from motionctx.errors import RecipeError

if TYPE_CHECKING:
    from motionctx.parts import Backbone, Composer
    from motionctx.recipe import Recipe
    from motionctx.registry import Registry
    from motionctx.types import Geometry

__all__ = ["ASSUMED_REFERENCE", "Workload", "recipe_workload"]

#: The reference size assumed when an animate stage's working size follows the reference image.
ASSUMED_REFERENCE = (480, 832)


@dataclass(frozen=True)
class Workload:
    """One unit of work: a training micro-batch or one sampled segment.

    ``frames`` x ``size`` is the generated video (per half of a spatial composite);
    ``composite`` is ``(frames, height, width)`` as the backbone sees it."""

    stage: str
    key: str
    frames: int
    size: tuple[int, int]
    composite: tuple[int, int, int]
    batch: int = 1
    accumulation: int = 1
    mode: str = "lora"
    rank: int = 256
    targets: tuple[str, ...] = ()
    checkpointing: bool = False
    precision: str = "no"
    steps: int = 0
    guidance: float = 1.0
    notes: list[str] = field(default_factory=list)

    @property
    def training(self) -> bool:
        return self.stage == "train"


def recipe_workload(
    recipe: Recipe, registry: Registry, backbone: Backbone, composer: Composer | None, geometry: Geometry
) -> Workload:
    """The workload of the recipe's first ``train`` stage, else of its first ``animate`` stage."""
    found = [s for s in recipe.stages if s.run == "train"] or [s for s in recipe.stages if s.run == "animate"]
    if not found:
        raise RecipeError(
            "the recipe has no train or animate stage to plan",
            "plan a training recipe (recipes/train_pose_m2.yaml) or an animation recipe (recipes/pose_m2.yaml)",
            file=str(recipe.path) if recipe.path else None,
        )
    spec = found[0]
    key = f"stages.{spec.index}.with"
    c = registry.build("stage", spec.run, spec.params, where=key).config
    notes: list[str] = []
    extra: dict[str, Any]
    if spec.run == "train":
        frames = geometry.snap_frames(c.frames[1])
        size = geometry.snap_size(*max((tuple(b) for b in c.buckets), key=lambda b: b[0] * b[1]))
        extra = {
            "batch": c.batch_size,
            "accumulation": c.gradient_accumulation,
            "mode": c.mode,
            "rank": c.lora_rank,
            "targets": tuple(c.lora_targets or backbone.lora_targets),
            "checkpointing": c.gradient_checkpointing,
            "precision": c.mixed_precision or "no",
        }
        notes.append(f"training planned at its largest clip: {frames} frames of the largest bucket {size[0]}x{size[1]}")
    else:
        from motionctx.engines.inputs import working_size

        segment = c.segment_frames or geometry.max_frames
        frames = geometry.snap_frames(min(segment, c.max_frames or segment))
        size, _ = working_size(ASSUMED_REFERENCE, geometry, size=c.size, area=c.area, max_area=c.max_area)
        if not c.size:
            notes.append(
                f"working size of a {ASSUMED_REFERENCE[0]}x{ASSUMED_REFERENCE[1]} reference (it follows the reference image)"
            )
        extra = {"steps": c.steps, "guidance": c.guidance, "batch": backbone.sampling_batch(c.guidance)}
    composite = composer.composite_shape(frames, *size, geometry) if composer is not None else (frames, *size)
    return Workload(spec.run, key, frames, (int(size[0]), int(size[1])), tuple(composite), notes=notes, **extra)
