"""Stage: one step of a recipe (animate, prepare, train, synthesize, filter, evaluate)."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from motionctx.parts.base import Part

if TYPE_CHECKING:
    from motionctx.pipeline import Pipeline


@dataclass
class StageResult:
    """What a stage produced: named output paths and metrics, shown to the user and in run.json."""

    outputs: dict[str, Path] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


class Stage(Part):
    """A recipe stage. ``requires`` names the recipe part slots it uses (checked by validation)."""

    kind: ClassVar[str] = "stage"
    requires: ClassVar[tuple[str, ...]] = ()

    def required_slots(self) -> tuple[str, ...]:
        """Part slots this configured stage uses (default ``requires``); checked by validation."""
        return self.requires

    @abstractmethod
    def run(self, pipeline: Pipeline) -> StageResult:
        """Run the stage with the pipeline's parts, progress display and output folder."""
