"""Built-in training stages ``prepare`` and ``train``, and the ``motionctx data check`` command.

Both stages shard over processes when launched with ``accelerate launch`` or ``torchrun``
(see docs/training.md); the work itself lives in :mod:`motionctx.engines.training`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from motionctx.engines.training.options import PrepareConfig, TrainConfig
from motionctx.hookspecs import hookimpl
from motionctx.parts import Stage, StageResult

if TYPE_CHECKING:
    from motionctx.pipeline import Pipeline


class PrepareStage(Stage):
    """Decode, estimate poses, describe and encode every clip of a manifest into a cache reused
    across runs, and write the index the ``train`` stage reads. Resumable and sharded over
    processes (RANK / WORLD_SIZE)."""

    name: ClassVar[str] = "prepare"
    Config = PrepareConfig
    config: PrepareConfig

    def required_slots(self) -> tuple[str, ...]:
        return ("motion",) if self.config.poses else ()

    def run(self, pipeline: Pipeline) -> StageResult:
        from motionctx.engines.training import distributed
        from motionctx.engines.training.prepare import PrepareParts, loss_accepts, prepare_dataset

        distributed.init()
        c = self.config
        wants_backbone = pipeline.has_part("backbone") and (
            c.latents
            or c.text_embeddings is True
            or (
                c.text_embeddings == "auto"
                and loss_accepts(
                    pipeline.registry.get("backbone", pipeline.recipe.parts["backbone"].use), "text_embeddings"
                )
            )
        )
        parts = PrepareParts(
            motion=pipeline.part("motion") if pipeline.has_part("motion") else None,
            text=pipeline.part("text") if c.captions and pipeline.has_part("text") else None,
            backbone=pipeline.part("backbone") if wants_backbone else None,
        )
        report = prepare_dataset(c, parts, pipeline.output_dir, track=pipeline.track, log=pipeline.console.log)
        metrics: dict[str, Any] = {
            "clips": report.clips,
            "computed": report.computed,
            "reused": report.reused,
            "skipped": [{"id": s["id"], "reason": s["skipped"]} for s in report.skipped],
        }
        return StageResult({"index": report.index, "shard": report.shard}, metrics)


class TrainStage(Stage):
    """Train the backbone on the prepared clips: LoRA (FFN, rank 256) or full fine-tune, AdamW
    with warm-up, clipping, accumulation, optional EMA and bf16; checkpoints every N steps and on
    SIGINT/SIGTERM; ``resume: auto``; exports the LoRA in diffusers format with the recipe."""

    name: ClassVar[str] = "train"
    requires: ClassVar[tuple[str, ...]] = ("backbone", "motion", "composer")
    Config = TrainConfig
    config: TrainConfig

    def run(self, pipeline: Pipeline) -> StageResult:
        from motionctx.engines.training import distributed
        from motionctx.engines.training.loop import Trainer, TrainParts

        distributed.init()
        c = self.config
        out = pipeline.output_dir
        parts = TrainParts(pipeline.part("backbone"), pipeline.part("motion"), pipeline.part("composer"))
        trainer = Trainer(
            c,
            parts,
            out,
            index=Path(c.data) if c.data else out / "data" / "index.jsonl",
            cache=Path(c.cache) if c.cache else None,
            recipe_yaml=pipeline.recipe.to_yaml(),
            progress=pipeline.progress,
            log=pipeline.console.log,
        )
        result = trainer.run()
        outputs = {"checkpoint": result.checkpoint, "metrics": result.metrics, **result.outputs}
        metrics = {
            "steps": result.steps,
            "start_step": result.start_step,
            "loss": result.loss,
            "steps_per_second": round(result.steps_per_second, 4),
        }
        return StageResult(outputs, metrics)


@hookimpl
def register_stages(register) -> None:
    register(PrepareStage)
    register(TrainStage)


@hookimpl
def register_commands(cli: Any) -> None:
    import typer

    from motionctx.console import handle_errors

    data_app = typer.Typer(help="Check training data manifests.", no_args_is_help=True)

    @data_app.command("check")
    @handle_errors
    def check(
        manifest: Path = typer.Argument(..., help="JSONL manifest: one {path, caption?, keypoints?, ...} per line"),
        min_frames: int = typer.Option(49, min=1, help="clips with fewer frames are reported as too short"),
        size_multiple: int = typer.Option(2, min=1, help="both sides must be multiples of this"),
        min_side: int = typer.Option(64, min=1, help="the shorter side must be at least this"),
        full: bool = typer.Option(False, "--full", help="decode every frame (slow; finds damage mid-file)"),
        as_json: bool = typer.Option(False, "--json", help="machine-readable output (every clip)"),
    ) -> None:
        """Report unreadable, too-short and odd-size videos (every line is checked); exit code 2 if any."""
        import json

        from rich.markup import escape
        from rich.table import Table

        from motionctx.console import out_console
        from motionctx.engines.training.manifest import check_manifest

        results = check_manifest(
            manifest, min_frames=min_frames, size_multiple=size_multiple, min_side=min_side, full_decode=full
        )
        bad = [r for r in results if not r.ok]
        if as_json:
            print(
                json.dumps(
                    {
                        "manifest": str(manifest),
                        "clips": len(results),
                        "bad": len(bad),
                        "results": [r.as_dict() for r in results],
                    },
                    indent=2,
                )
            )
        else:
            if bad:
                table = Table("line", "id", "path", "frames", "size", "problems")
                for r in bad:
                    size = f"{r.size[0]}x{r.size[1]}" if r.size else "-"
                    table.add_row(
                        str(r.line),
                        escape(r.id),
                        escape(r.path),
                        str(r.frames if r.frames is not None else "-"),
                        size,
                        escape("; ".join(r.problems)),
                    )
                out_console.print(table)
            colour = "red" if bad else "green"
            out_console.print(f"[{colour}]{len(bad)} of {len(results)} clips have problems[/]")
        if bad:
            raise typer.Exit(2)

    cli.add_typer(data_app, name="data")
