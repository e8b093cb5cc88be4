"""Built-in stage ``evaluate``: a benchmark manifest x model variants -> scores -> reports.

Every (variant, case) pair goes through the animate engine (or a baseline), is scored by the
recipe's scorer parts and recorded under ``<folder>/pairs/``; finished pairs are skipped when the
stage runs again with the same case files, variant, parts and settings. Rank 0 then writes
``report.json``, ``report.md`` and ``report.html``. See :mod:`motionctx.engines.evaluation`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from motionctx.engines.evaluation.variants import Variant
from motionctx.hookspecs import hookimpl
from motionctx.parts import PartConfig, Stage, StageResult

if TYPE_CHECKING:
    from motionctx.pipeline import Pipeline


class EvaluateStage(Stage):
    """Run a benchmark manifest through one or more model variants, score every output and write
    report.json, report.md and a self-contained report.html.

    Resumable (a finished pair is not redone unless its case files, variant, parts or sampling
    settings changed) and sharded over processes by RANK/WORLD_SIZE.
    """

    name: ClassVar[str] = "evaluate"
    input_files: ClassVar[dict[str, str]] = {"manifest": "manifest"}

    class Config(PartConfig):
        manifest: str = Field(description="benchmark manifest (JSONL: id, reference, driving, target?, categories?)")
        variants: list[Variant] = Field(
            default_factory=lambda: [Variant(name="model")],
            description="model variants: {name, parts: {slot: {use, with}}} overriding the recipe's parts, "
            "or {name, baseline: reference|driving|target}",
        )
        scorers: list[str] | None = Field(None, description="scorer part slots to use (null: every scorer part)")
        folder: str = Field("eval", description="folder inside the run's output folder")
        size: tuple[int, int] | None = Field(None, description="working size [H, W]; default: each reference's")
        area: int | None = Field(None, ge=64, description="without size: scale references to about this many pixels")
        max_frames: int | None = Field(None, ge=1, description="use at most this many driving frames")
        driving_area: int | None = Field(None, ge=64, description="decode driving frames at most this many pixels")
        steps: int = Field(30, ge=1, description="denoising steps")
        guidance: float = Field(5.0, ge=0.0, description="classifier-free guidance scale (1 = off)")
        prompt: str | None = Field(None, description="fixed prompt; default: the text guider's description")
        negative_prompt: str = Field("", description="negative prompt for guidance")
        seed: int = Field(0, description="random seed, the same for every pair")
        segment_frames: int | None = Field(None, ge=1, description="frames per sampled segment (null: the backbone's)")
        carry: Literal["last_frame", "reference"] = Field("last_frame", description="what starts each later segment")
        keep_known: bool = Field(True, description="return the given reference pixels of frame 1 as given")
        retry_failed: bool = Field(False, description="redo pairs recorded with an error (default: keep them)")
        sort_by: str | None = Field(None, description="metric (slot.metric) that orders cases worst first in the "
                                    "report; default: the first metric")
        clips: Literal["gif", "mp4"] = Field("gif", description="how report.html embeds clips: animated GIF "
                                              "(plays everywhere) or H.264 mp4")
        html_cases: int = Field(48, ge=0, description="most cases shown in report.html (the worst first)")
        title: str | None = Field(None, description="report title (default: the recipe's name)")

    def required_slots(self) -> tuple[str, ...]:
        models = [v for v in self.config.variants if v.baseline is None]
        slots = {s for s in ("backbone", "motion", "composer") if any(s not in v.parts for v in models)}
        return tuple(sorted(slots)) + tuple(self.config.scorers or ())

    def check_inputs(self, pipeline: Pipeline) -> None:
        from motionctx.engines.evaluation.case import read_manifest
        from motionctx.engines.evaluation.variants import check_variants

        super().check_inputs(pipeline)
        read_manifest(self.config.manifest)
        check_variants(self.config.variants, pipeline.recipe.parts, pipeline.registry, f"{pipeline.stage_key}.variants")
        for slot in self.config.scorers or ():
            spec = pipeline.recipe.parts.get(slot)
            if spec is None or spec.kind != "scorer":
                from motionctx.errors import RecipeError

                raise RecipeError(f"{pipeline.stage_key}.scorers: {slot!r} is not a scorer part of the recipe",
                                  "add it under parts with `kind: scorer`, or remove it")
        from motionctx.preflight import check_files

        # scorer weights (no stage makes them) are checked before any pair runs
        used = [s for s, spec in pipeline.recipe.parts.items() if spec.kind == "scorer"
                and (self.config.scorers is None or s in self.config.scorers)]
        check_files(pipeline.recipe, registry=pipeline.registry, output_dir=pipeline.output_dir, inputs=False,
                    slots=used)
        self._check_variant_weights(pipeline)

    def _check_variant_weights(self, pipeline: Pipeline) -> None:
        """The weights every model variant's parts need exist (before any pair runs, so a wrong
        model folder is one error rather than a failure recorded for every pair)."""
        from motionctx.engines.evaluation.variants import merged_parts
        from motionctx.errors import WeightsError
        from motionctx.preflight import part_missing_files

        missing = {}  # path -> MissingFile, first variant naming it
        for variant in self.config.variants:
            if variant.baseline is None:
                for slot, spec in merged_parts(pipeline.recipe.parts, variant).items():
                    for m in part_missing_files(pipeline.registry, spec["kind"], spec["use"], spec["with"],
                                                f"variant {variant.name!r}, {slot}", skip_placeholders=True):
                        if m.weights:
                            missing.setdefault(m.path, m)
        if missing:
            listing = "; ".join(f"{m.path} ({m.what})" for m in missing.values())
            hints = list(dict.fromkeys(m.hint for m in missing.values() if m.hint))
            raise WeightsError(f"{len(missing)} model file(s) the evaluation needs do not exist: {listing}",
                               "; ".join(hints) or "fix the variant's or the recipe's weights path")

    def run(self, pipeline: Pipeline) -> StageResult:
        from motionctx.engines.evaluation import runner
        from motionctx.engines.evaluation.case import load_case, read_manifest
        from motionctx.engines.evaluation.variants import PartCache, merged_parts
        from motionctx.engines.training import distributed
        from motionctx.types import Geometry

        c = self.config
        rank, world = distributed.rank_and_world()
        if world > 1:
            distributed.init()
        cases = read_manifest(c.manifest)
        folder = pipeline.output_dir / c.folder
        scorers = [runner.ScorerSlot(slot, spec.use, spec.params) for slot, spec in pipeline.recipe.parts.items()
                   if spec.kind == "scorer" and (c.scorers is None or slot in c.scorers)]
        settings = runner.RunSettings(c.steps, c.guidance, c.seed, c.prompt, c.negative_prompt, c.segment_frames,
                                      c.carry, c.keep_known, extra={"size": c.size, "area": c.area, "max_frames":
                                      c.max_frames, "driving_area": c.driving_area})
        pairs = runner.plan_pairs(c.variants, cases, folder / "pairs", rank, world, settings,
                                  lambda v: merged_parts(pipeline.recipe.parts, v))
        if c.retry_failed:
            _forget_failures(pairs)
        todo = [p for p in pairs if not p.done]
        stale = sum(p.recorded for p in todo)
        where = f" on rank {rank}/{world}" if world > 1 else ""
        again = f", {stale} to run again (their case files, variant or settings changed)" if stale else ""
        pipeline.console.log(f"evaluate: {len(pairs)} pairs{where}, {len(pairs) - len(todo)} already done{again}")
        cache = PartCache(pipeline.registry)
        current: str | None = None

        def parts_for(variant: Variant):
            specs = merged_parts(pipeline.recipe.parts, variant)
            return lambda case: {s: cache.get(f"{variant.name}:{s}", p["kind"], p["use"], p["with"], case)
                                 for s, p in specs.items()}

        def load(spec, geometry):
            return load_case(spec, geometry or Geometry(), c)

        failed = 0
        for pair in pipeline.track(todo, "evaluating"):
            if pair.variant.name != current:  # one variant's models in memory at a time
                cache.clear()
                current = pair.variant.name
            record = runner.run_pair(pair, load, parts_for(pair.variant), scorers, cache, settings)
            failed += bool(record["errors"])
        cache.clear()
        distributed.barrier()
        outputs, metrics = {}, {"pairs": len(pairs), "pairs_run": len(todo), "pairs_with_errors": failed}
        if rank == 0:
            from motionctx.engines.evaluation.report import write_reports

            records = runner.read_results(folder / "pairs", c.variants, cases)
            outputs = write_reports(folder, records, c, scorers, pipeline.registry, pipeline.recipe.name, cases)
            metrics["pairs_recorded"] = len(records)
        distributed.barrier()
        return StageResult(outputs, metrics)


def _forget_failures(pairs: list) -> None:
    """Remove the result of every pair recorded with an error, so it runs again."""
    import json

    from motionctx.engines.evaluation.runner import RESULT

    for pair in pairs:
        path = pair.folder / RESULT
        if path.is_file() and json.loads(path.read_text(encoding="utf-8")).get("errors"):
            path.unlink()


@hookimpl
def register_stages(register) -> None:
    register(EvaluateStage)
