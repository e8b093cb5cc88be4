"""Build parts from a recipe and run its stages with one progress display."""

from __future__ import annotations

import platform
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from motionctx.errors import RecipeError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from motionctx.parts import Part, Stage, StageResult
    from motionctx.recipe import Recipe
    from motionctx.registry import Registry

T = TypeVar("T")


class Pipeline:
    """The runtime of one recipe: parts by slot (built and loaded on first use), the output
    folder, a shared rich progress display, and ``run.json`` bookkeeping."""

    def __init__(
        self,
        recipe: Recipe,
        *,
        registry: Registry | None = None,
        console: Console | None = None,
        output_dir: str | Path | None = None,
        progress: bool = True,
        force: bool = False,
    ) -> None:
        from rich.console import Console

        if registry is None:
            from motionctx.plugins import get_registry

            registry = get_registry()
        self.recipe = recipe
        self.registry = registry
        self.console = console or Console(stderr=True, log_path=False)
        self.output_dir = Path(output_dir) if output_dir else recipe.output_dir
        self.show_progress = progress
        self.force = force
        self._parts: dict[str, Part] = {}
        self._progress: Progress | None = None
        self.timings: dict[str, float] = {}
        #: the recipe key of the running stage's parameters (``stages.0.with``), for error hints
        self.stage_key = "stages.0.with"

    @property
    def inputs(self) -> dict[str, Any]:
        """The recipe's ``inputs:`` section."""
        return dict(self.recipe.data.get("inputs") or {})

    def has_part(self, slot: str) -> bool:
        return slot in self.recipe.parts

    def part(self, slot: str) -> Part:
        """The part in ``slot``, built and loaded once."""
        if slot not in self._parts:
            spec = self.recipe.parts.get(slot)
            if spec is None:
                raise RecipeError(
                    f"the recipe has no part in slot {slot!r}",
                    f"add parts.{slot}: {{use: ...}}",
                    file=str(self.recipe.path) if self.recipe.path else None,
                )
            part = self.registry.build(spec.kind, spec.use, spec.params, where=f"parts.{slot}.with")
            start = time.perf_counter()
            part.ensure_loaded()
            self.timings[f"load:{slot}"] = round(time.perf_counter() - start, 3)
            self._parts[slot] = part
        return self._parts[slot]

    @property
    def progress(self) -> Progress:
        """The shared progress display (stages add their own tasks)."""
        if self._progress is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                disable=not self.show_progress,
                transient=False,
            )
        return self._progress

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate ``items`` with a progress task."""
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        task = self.progress.add_task(description, total=total)
        for item in items:
            yield item
            self.progress.advance(task)

    def run(self) -> list[StageResult]:
        """Run every stage in order; the outputs and ``run.json`` land in the output folder together
        (see :mod:`motionctx.io.runfolder`). In a recipe of fresh-output stages (``compose``,
        ``animate``) the weights the parts need are checked first, all at once (elsewhere a stage
        may make them: a training chain); then every stage's input files."""
        from motionctx.checks import check_writable_dir
        from motionctx.engines.training.distributed import rank_and_world
        from motionctx.io.runfolder import RunFolder
        from motionctx.preflight import check_files

        stages = [
            (spec, self.registry.build("stage", spec.run, spec.params, where=f"stages.{spec.index}.with"))
            for spec in self.recipe.stages
        ]
        if stages and all(stage.fresh_outputs for _, stage in stages):  # other stages may make the weights
            check_files(self.recipe, registry=self.registry, output_dir=self.output_dir, inputs=False)
        for _, stage in stages:
            stage.check_inputs(self)
        check_writable_dir(self.output_dir, "output folder")
        staged = bool(stages) and all(stage.fresh_outputs for _, stage in stages)
        rank, world = rank_and_world()
        with RunFolder(self.output_dir, staged=staged, force=self.force, rank=rank, world=world) as folder:
            work, target = folder.work, folder.target
            self.output_dir = work
            try:
                results, record = self._run_stages(stages)
                for entry, result in zip(record["stages"], results):  # paths as they are once in place
                    result.outputs = {k: _moved(Path(v), work, target) for k, v in result.outputs.items()}
                    entry["outputs"] = {k: str(v) for k, v in result.outputs.items()}
                folder.commit(record)
            finally:
                self.output_dir = target
        return results

    def _run_stages(self, stages: list[tuple[Any, Stage]]) -> tuple[list[StageResult], dict[str, Any]]:
        results: list[StageResult] = []
        started = time.time()
        record: dict[str, Any] = {"recipe": self.recipe.data, "recipe_file": str(self.recipe.path or ""), "stages": []}
        with self.progress:
            for spec, stage in stages:
                self.console.log(f"[bold]stage {spec.index + 1}/{len(self.recipe.stages)}[/]: {spec.name}")
                t0 = time.perf_counter()
                self.stage_key = f"stages.{spec.index}.with"
                stage.ensure_loaded()
                result = stage.run(self)
                seconds = round(time.perf_counter() - t0, 3)
                self.timings[f"stage:{spec.name}"] = seconds
                results.append(result)
                record["stages"].append(
                    {
                        "name": spec.name,
                        "run": spec.run,
                        "seconds": seconds,
                        "outputs": {},
                        "metrics": result.metrics,
                    }
                )
        record.update(timings=self.timings, started=started, environment=environment())
        return results, record


def _moved(path: Path, work: Path, target: Path) -> Path:
    """Where ``path``, written under the staging folder ``work``, is once ``work`` becomes ``target``."""
    try:
        return target / path.relative_to(work)
    except ValueError:
        return path


def environment() -> dict[str, Any]:
    """Versions that make a run reproducible (read without importing heavy modules needlessly)."""
    from importlib import metadata

    import motionctx

    versions = {}
    for dist in ("torch", "diffusers", "peft", "transformers", "accelerate"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {"motionctx": motionctx.__version__, "python": platform.python_version(), "platform": platform.platform(), **versions}
