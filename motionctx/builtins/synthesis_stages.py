"""Built-in stages of the end-to-end variant: ``synthesize`` and ``filter``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, model_validator

from motionctx.hookspecs import hookimpl
from motionctx.parts import PartConfig, Stage, StageResult

if TYPE_CHECKING:
    from motionctx.engines.synthesis import Unit
    from motionctx.pipeline import Pipeline


class SynthesizeStage(Stage):
    """Animate reference identities with the motion of driving clips using the pose-based model
    (the teacher), producing pseudo pairs (raw driving clip -> new identity) for end-to-end training.

    Each unit takes a window of ``max_frames`` at a random start of its driving clip and its own
    sampling seed, both drawn from the unit id (recorded as ``start`` and ``seed``), and writes the
    window it was driven by as ``<id>.source.mp4`` next to ``<id>.mp4``.
    A clip whose manifest line names a ``keypoints`` file (relative to the manifest's folder; one
    entry per frame of the whole clip) is not pose-estimated: its window's entries are drawn by the
    motion source's ``prepare_from_poses`` and the file is recorded as the unit's ``keypoints``. A
    motion source without ``prepare_from_poses`` (``raw_video``) ignores the files.
    Sharded over processes by the launcher's rank and world size (RANK/WORLD_SIZE, or MPI's); a
    process leaves the stage when every process has finished its units;
    resumable: finished units are skipped. A unit that fails with a :class:`MotionctxError` (an
    undecodable clip, say) is recorded with its reason in ``failed.jsonl`` (per rank, as the
    manifest), is not retried on a resume (delete that file to retry) and does not stop the run;
    any other error does. The progress and the stage's metrics show units per hour.
    """

    name: ClassVar[str] = "synthesize"

    class Config(PartConfig):
        manifest: str = Field(
            description="JSONL of driving clips (one {path, caption?, keypoints?} per line; relative paths start at "
            "its folder); a clip's keypoints file is drawn instead of estimating its poses"
        )
        references: str | list[str] = Field(description="folder of reference images, a JSONL manifest, or a list")
        per_clip: int = Field(1, ge=1, description="references animated per driving clip")
        limit: int | None = Field(
            None, ge=1, description="synthesise only the first this many units of the seeded plan (a smaller run "
            "of the same pairs; raising it later adds units, a resume redoes none)"
        )
        folder: str = Field("synth", description="output folder inside the run's output folder")
        backbone: str = Field("teacher", description="part slot of the pose-based backbone (with its LoRA)")
        motion: str = Field("teacher_motion", description="part slot of the pose motion source")
        composer: str = Field("composer", description="part slot of the composer")
        text: str | None = Field("text", description="part slot of the text guider (null: `prompt`)")
        prompt: str = Field(
            "", description="without a text guider, every unit's prompt: a fixed text; {caption} stands for the "
            "driving clip's manifest caption"
        )
        steps: int = Field(30, ge=1, description="denoising steps")
        guidance: float = Field(5.0, ge=0.0, description="classifier-free guidance scale")
        size: tuple[int, int] | None = Field(None, description="output size [H, W]; default: each reference's")
        area: int | None = Field(None, ge=64, description="without size: scale references to about this many pixels")
        max_frames: int | None = Field(
            None, ge=1, description="window of at most this many driving frames, at a random start per unit"
        )
        seed: int = Field(0, description="seed for pairing, and with each unit id for its window and sampling seed")
        lossless: bool = Field(
            False, description="write the videos as exact RGB (small frames whose colours 4:2:0 chroma would blur; "
            "few players show them)"
        )

        @model_validator(mode="after")
        def _prompt_placeholders(self) -> SynthesizeStage.Config:
            try:
                self.prompt.format(caption="")
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"prompt {self.prompt!r}: only {{caption}} can be filled in ({exc!r}); "
                                 "write other braces doubled, {{ }}") from None
            return self

    def required_slots(self) -> tuple[str, ...]:
        c = self.config
        return tuple(s for s in (c.backbone, c.motion, c.composer, c.text) if s)

    def run(self, pipeline: Pipeline) -> StageResult:
        import time

        from motionctx.engines.synthesis import done_ids, list_references, plan_units, record, shard
        from motionctx.engines.training import distributed
        from motionctx.errors import MotionctxError
        from motionctx.io import append_jsonl, read_jsonl

        c = self.config
        rank, world = distributed.rank_and_world()  # as the pipeline's run folder reads them (MPI launchers too)
        if world > 1:  # the process group, so no process goes on to the next stage before every unit is made
            distributed.init()
        folder = pipeline.output_dir / c.folder
        suffix = f".rank{rank}.jsonl" if world > 1 else ".jsonl"
        manifest, failures = folder / f"manifest{suffix}", folder / f"failed{suffix}"
        base = Path(c.manifest).parent  # relative clip paths start at the manifest's folder, as in training
        clips = [{**r, **{k: str(base / r[k]) for k in ("path", "keypoints") if r.get(k)}}
                 for r in read_jsonl(c.manifest)]
        units = shard(plan_units(clips, list_references(c.references), c.per_clip, c.seed)[: c.limit], rank, world)
        # what any process recorded counts, so a resume with another number of processes redoes nothing
        done = done_ids(*folder.glob("manifest*.jsonl"))
        failed_before = {r["id"] for f in folder.glob("failed*.jsonl") for r in read_jsonl(f)} - done
        todo = [u for u in units if u.id not in done and u.id not in failed_before]
        skipped = sum(u.id in failed_before for u in units)
        pipeline.console.log(f"synthesize: {len(units)} units on rank {rank}/{world}, {len(units) - len(todo) - skipped} "
                             "already done" + (f", {skipped} failed before (delete {folder}/failed*.jsonl to retry)" if skipped else ""))
        # every part loads before the first unit: a part that cannot load stops the run, no unit fails for it
        parts = [pipeline.part(s) if s else None for s in (c.backbone, c.motion, c.composer, c.text)]
        if any(u.keypoints for u in todo) and not _draws_poses(parts[1]):
            pipeline.console.log(f"synthesize: motion source {parts[1].name!r} draws no poses; the clips' keypoints "
                                 "files are not used")
        task = pipeline.progress.add_task("synthesizing", total=len(todo))
        made = failed = 0
        started = time.perf_counter()
        for unit in todo:
            try:
                entry = self._synthesize(unit, folder, *parts)
            except MotionctxError as exc:
                for leftover in (folder / f"{unit.id}.source.mp4", folder / f"{unit.id}.mp4"):
                    leftover.unlink(missing_ok=True)
                append_jsonl(failures, {"id": unit.id, "driving": unit.driving, "reference": unit.reference,
                                        "error": str(exc)})
                pipeline.console.log(f"synthesize: unit {unit.id} failed: {exc.message}")
                failed += 1
            else:
                record(manifest, entry)
                made += 1
            rate = _per_hour(made, time.perf_counter() - started)
            pipeline.progress.update(task, advance=1, description=f"synthesizing ({rate:.0f} units/hour)")
        seconds = time.perf_counter() - started
        pipeline.console.log(f"synthesize: {made} synthesized, {failed} failed in {seconds:.1f} s "
                             f"({_per_hour(made, seconds):.0f} units/hour)")
        distributed.barrier()
        return StageResult({"manifest": manifest}, {"units": len(units), "synthesized": made, "failed": failed,
                                                    "units_per_hour": round(_per_hour(made, seconds), 1)})

    def _synthesize(
        self, unit: Unit, folder: Path, backbone: Any, motion: Any, composer: Any, text: Any
    ) -> dict[str, Any]:
        """Animate one unit, write its video and source window; its manifest record."""
        from motionctx.engines.inputs import DRIVING_AREA, fit_inputs
        from motionctx.engines.sampling import animate
        from motionctx.engines.synthesis import KeypointsMotion, unit_window
        from motionctx.engines.training.video import probe
        from motionctx.io import read_video, write_video
        from motionctx.types import Video

        c = self.config
        total = probe(unit.driving, decode_first=False).frames
        n = backbone.geometry.snap_frames(min(total, c.max_frames or total))
        start, seed = unit_window(unit.id, c.seed, total, n)
        # only the window is decoded, and no larger than the driving clip is ever used
        decode_area = max(DRIVING_AREA, c.area or 0, c.size[0] * c.size[1] if c.size else 0)
        window = read_video(unit.driving, start=start, max_frames=n, max_area=decode_area)
        inputs = fit_inputs(unit.reference, window, backbone.geometry, size=c.size, area=c.area, max_frames=n)
        # the window keeps its start in the clip, so the keypoint file's entries of its frames are drawn
        poses_file = unit.keypoints if unit.keypoints and _draws_poses(motion) else None
        drawn = KeypointsMotion(motion, poses_file) if poses_file else motion
        prompt = None if text is not None else c.prompt.format(caption=unit.caption or "")
        result = animate(backbone, drawn, composer, inputs.reference, inputs.driving, text_guider=text,
                         prompt=prompt, steps=c.steps, guidance=c.guidance, seed=seed)
        frames = result.video.num_frames
        source = write_video(folder / f"{unit.id}.source.mp4", Video(inputs.driving.frames[:frames], result.video.fps),
                             lossless=c.lossless)
        video = write_video(folder / f"{unit.id}.mp4", result.video, lossless=c.lossless)
        entry = {"id": unit.id, "driving": unit.driving, "reference": unit.reference, "video": str(video),
                 "source": str(source), "start": start, "seed": seed, "caption": unit.caption,
                 "prompt": result.prompt, "frames": frames, "size": list(result.video.size)}
        return {**entry, "keypoints": poses_file} if poses_file else entry


def _draws_poses(motion: Any) -> bool:
    """Whether a motion source can draw poses read from a file (it has ``prepare_from_poses``)."""
    return callable(getattr(motion, "prepare_from_poses", None))


def _per_hour(count: int, seconds: float) -> float:
    """``count`` in ``seconds`` as a rate per hour (0 before any time has passed)."""
    return count * 3600.0 / seconds if seconds > 0 else 0.0


class FilterStage(Stage):
    """Score synthesized samples with a quality filter and keep those whose mean score passes
    ``threshold`` (the method: mean of six dimensions > 4 of 5). Scores are recorded so an
    interrupted run resumes without scoring twice.

    Scorer parts (the ``evaluate`` stage's kind) can add dimensions: ``scorers`` maps a scorer slot
    to the metrics used and their ``[worst, best]`` values, which map linearly onto 1-5
    (:mod:`motionctx.engines.filtering`). The mean is over every dimension, the quality filter's
    and the scorers' alike; ``filter: null`` uses scorers only. Launched as several processes, the
    first one scores and writes, and the others wait for it."""

    name: ClassVar[str] = "filter"

    class Config(PartConfig):
        manifest: str = Field(
            "synth/manifest*.jsonl",
            description="JSONL written by the synthesize stage (glob allowed: one file per rank); relative to the output folder",
        )
        threshold: float = Field(
            4.0, ge=0.0, le=5.0,
            description="keep samples whose mean score is above this (0 keeps every sample: means are 1-5; all are "
            "still scored)",
        )
        filter: str | None = Field("filter", description="part slot of the quality filter (null: scorers only)")
        scorers: dict[str, dict[str, tuple[float, float]]] = Field(
            default_factory=dict,
            description="scorer part slot -> {metric: [worst, best]}: each metric mapped onto 1-5 (1 at worst, "
            "5 at best) and averaged with the filter's dimensions",
        )
        output: str = Field(
            "filtered.jsonl",
            description="kept samples as training lines (target = source window, driving = synthesised video), "
            "inside the run's output folder",
        )

        @model_validator(mode="after")
        def _something_scores(self) -> FilterStage.Config:
            if self.filter is None and not self.scorers:
                raise ValueError("give a quality filter slot (`filter`) or `scorers`, or both")
            return self

    def required_slots(self) -> tuple[str, ...]:
        return ((self.config.filter,) if self.config.filter else ()) + tuple(self.config.scorers)

    def check_inputs(self, pipeline: Pipeline) -> None:
        """Every ``scorers`` slot is a scorer part whose chosen metrics exist and run the right way,
        and whose weights are there."""
        from motionctx.engines.filtering import check_scales
        from motionctx.errors import RecipeError

        super().check_inputs(pipeline)
        for slot, scales in self.config.scorers.items():
            spec = pipeline.recipe.parts.get(slot)
            if spec is None or spec.kind != "scorer":
                raise RecipeError(f"{pipeline.stage_key}.scorers: {slot!r} is not a scorer part of the recipe",
                                  "add it under parts with `kind: scorer`, or remove it")
            check_scales(slot, pipeline.registry.get("scorer", spec.use), scales, f"{pipeline.stage_key}.scorers")
        if self.config.scorers:  # their weights, before any sample is read
            from motionctx.preflight import check_files

            check_files(pipeline.recipe, registry=pipeline.registry, output_dir=pipeline.output_dir, inputs=False,
                        slots=list(self.config.scorers))

    def run(self, pipeline: Pipeline) -> StageResult:
        import json

        from motionctx.engines.evaluation.variants import PartCache
        from motionctx.engines.filtering import to_five
        from motionctx.engines.synthesis import mean_score, training_entry
        from motionctx.engines.training import distributed
        from motionctx.io import append_jsonl, atomic_write_text, read_image, read_jsonl, read_video
        from motionctx.types import Sample

        c = self.config
        rank, world = distributed.rank_and_world()
        if world > 1:  # one process scores (the others would append the same rows); the rest wait for it
            distributed.init()
            if rank != 0:
                distributed.barrier()
                return StageResult({"manifest": pipeline.output_dir / c.output}, {})
        scores_path = pipeline.output_dir / "scores.jsonl"
        scored = {r["id"]: r for r in read_jsonl(scores_path)} if scores_path.is_file() else {}
        quality = pipeline.part(c.filter) if c.filter else None
        cache = PartCache(pipeline.registry)
        pattern = Path(c.manifest) if Path(c.manifest).is_absolute() else pipeline.output_dir / c.manifest
        files = sorted(pattern.parent.glob(pattern.name))
        if not files:
            from motionctx.errors import InputError

            raise InputError(f"filter: no manifest matches {str(pattern)!r}", "run the synthesize stage first, or fix `manifest`")
        entries = [e for f in files for e in read_jsonl(f)]
        for entry in pipeline.track(entries, "scoring"):
            if entry["id"] in scored:
                continue
            # the window the unit was driven by, not the whole clip (metadata keeps the clip's path)
            driving = read_video(entry.get("source") or entry["driving"])
            sample = Sample(reference=read_image(entry["reference"]), target=read_video(entry["video"]),
                            driving=driving, text=entry.get("prompt", ""), metadata=entry)
            scores = dict(quality.score(sample)) if quality else {}
            row: dict = {"id": entry["id"], "scores": scores}
            if c.scorers:
                row["metrics"] = self._scorer_metrics(pipeline, cache, sample)
                scores.update({f"{slot}.{m}": to_five(row["metrics"].get(f"{slot}.{m}"), *pair)
                               for slot, scales in c.scorers.items() for m, pair in scales.items()})
            row["mean"] = mean_score(scores)
            append_jsonl(scores_path, row)
            scored[entry["id"]] = row
        kept = [e for e in entries if scored[e["id"]]["mean"] > c.threshold]
        lines = "".join(json.dumps({**training_entry(e), "score": scored[e["id"]]["mean"]}) + "\n" for e in kept)
        out = atomic_write_text(pipeline.output_dir / c.output, lines)
        pipeline.console.log(f"filter: kept {len(kept)} of {len(entries)} (mean score > {c.threshold})")
        distributed.barrier()
        return StageResult({"manifest": out, "scores": scores_path}, {"kept": len(kept), "total": len(entries)})

    def _scorer_metrics(self, pipeline: Pipeline, cache: Any, sample: Any) -> dict[str, float | None]:
        """The raw metrics (``slot.metric``) of every scorer slot for one sample."""
        import math

        from motionctx.engines.filtering import sample_case

        case = sample_case(sample, sample.target)
        out: dict[str, float] = {}
        for slot in self.config.scorers:
            spec = pipeline.recipe.parts[slot]
            part = cache.get(f"scorer:{slot}", "scorer", spec.use, spec.params, case.spec)
            for k, v in part.score(sample.target, case).items():  # None: not measured (NaN is not JSON)
                out[f"{slot}.{k}"] = float(v) if math.isfinite(float(v)) else None
        return out


@hookimpl
def register_stages(register) -> None:
    register(SynthesizeStage)
    register(FilterStage)
