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
    #: Config fields that name a user's input file -> what it is (``image``, ``video`` or
    #: ``manifest``); :meth:`check_inputs` reads them before any stage of the recipe runs.
    input_files: ClassVar[dict[str, str]] = {}
    #: True when the stage only writes fresh outputs (nothing it resumes from): a recipe whose
    #: stages all are is run in a staging folder that replaces the output folder whole at the end.
    fresh_outputs: ClassVar[bool] = False

    def required_slots(self) -> tuple[str, ...]:
        """Part slots this configured stage uses (default ``requires``); checked by validation."""
        return self.requires

    def check_inputs(self, pipeline: Pipeline) -> None:
        """Check this stage's input files (:attr:`input_files`) cheaply, with no model loaded;
        the pipeline calls it for every stage before the first one runs. A file that does not
        exist yet inside the output folder is left to the stage that writes it."""
        from motionctx.checks import check_input_file

        for name, what in self.input_files.items():
            value = getattr(self.config, name, None)
            if not value:
                continue
            path = Path(value)
            if not path.exists() and path.resolve().is_relative_to(pipeline.output_dir.resolve()):
                continue
            check_input_file(path, what, f"{self.name}.{name}")

    @abstractmethod
    def run(self, pipeline: Pipeline) -> StageResult:
        """Run the stage with the pipeline's parts, progress display and output folder."""
