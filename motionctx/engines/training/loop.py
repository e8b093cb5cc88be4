"""The training loop: accelerate, AdamW + warm-up, clipping, accumulation, EMA, checkpoints,
exact resume, guards, metrics, validation previews and the final LoRA export.

Exactness: every random draw of a step (data, augmentation, diffusion noise, and the global
torch generator, reseeded per micro-batch) depends only on ``(seed, global batch index)``, and a
checkpoint holds the trained tensors, optimizer, scheduler, EMA and step. So N steps in one run
and N/2 + stop + resume + N/2 give the same weights (bit for bit on the same machine).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from motionctx.engines.training import checkpoint as ckpt
from motionctx.engines.training.data import (
    BatchPlanner,
    GlobalIndices,
    ThreadPrefetch,
    TrainingData,
    collate_one,
    derive_seed,
    load_clips,
)
from motionctx.engines.training.ema import EMA
from motionctx.engines.training.guards import (
    StopRequest,
    TrainingDiverged,
    TrainingInterrupted,
    ignore_signals,
    memory_advice,
    stop_on_signals,
)
from motionctx.engines.training.metrics import MetricsLog
from motionctx.engines.training.model import LossInputs, LossModule, attach, full_parameters, named_trainable
from motionctx.errors import InputError, MotionctxError

if TYPE_CHECKING:
    from rich.progress import Progress

    from motionctx.engines.training.options import TrainConfig
    from motionctx.parts import Backbone, Composer, MotionSource

__all__ = ["TrainParts", "TrainResult", "Trainer", "lr_factor"]

StepCallback = Callable[[int, dict[str, Any]], None]


@dataclass
class TrainParts:
    backbone: Backbone
    motion: MotionSource
    composer: Composer


@dataclass
class TrainResult:
    """What a finished run produced."""

    folder: Path
    checkpoint: Path
    export: Path | None
    start_step: int
    steps: int
    loss: float
    steps_per_second: float
    metrics: Path
    outputs: dict[str, Path] = field(default_factory=dict)


def lr_factor(step: int, *, warmup: int, total: int, schedule: str) -> float:
    """Learning-rate multiplier for optimizer step ``step`` (0-based): linear warm-up to 1 over
    ``warmup`` steps, then constant, cosine to 0 or linear to 0 at ``total``."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress)) if schedule == "cosine" else 1.0 - progress


def _accelerator(mixed_precision: str, find_unused: bool) -> Any:
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    from accelerate.utils import DistributedDataParallelKwargs

    kwargs = {
        "mixed_precision": mixed_precision,
        "cpu": not torch.cuda.is_available(),
        "kwargs_handlers": [DistributedDataParallelKwargs(find_unused_parameters=find_unused)],
    }
    try:
        return Accelerator(**kwargs)
    except ValueError as exc:
        # One process running several trainings (tests, notebooks) with another precision.
        if "already been initialized" not in str(exc) or torch.distributed.is_initialized():
            raise
        AcceleratorState._reset_state(True)
        return Accelerator(**kwargs)


class Trainer:
    """Runs one ``train`` stage on the clips of ``index`` (written by the prepare stage; cache
    entries are read from ``cache``, default: the cache the index was prepared with).
    ``callbacks`` are called on rank 0 after each step with the step number and its metrics
    (the Python API's hook; tests and benchmarks use it). ``data`` replaces the batches: any
    object with ``data[g] -> TrainBatch`` for global batch index ``g`` (default:
    :class:`~.data.TrainingData` over the index)."""

    def __init__(
        self,
        config: TrainConfig,
        parts: TrainParts,
        output_dir: Path,
        *,
        index: Path,
        cache: Path | None = None,
        recipe_yaml: str | None = None,
        progress: Progress | None = None,
        log: Callable[[str], None] = print,
        callbacks: list[StepCallback] | None = None,
        data: Any = None,
    ) -> None:
        self.c = config
        self.parts = parts
        self.folder = output_dir / config.folder
        self.index = index
        self.cache = cache
        self.recipe_yaml = recipe_yaml
        self.progress = progress
        self.log = log
        self.callbacks = list(callbacks or [])
        self._custom_data = data

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        import os

        from accelerate.utils import DistributedType

        from motionctx.engines.training.cache import Cache
        from motionctx.engines.training.prepare import read_index

        c = self.c
        backbone = self.parts.backbone
        if c.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        torch.manual_seed(c.seed)  # adapter initialisation
        self.modules = attach(backbone, c, self.log)
        self.named = named_trainable(self.modules)
        precision = c.mixed_precision or os.environ.get("ACCELERATE_MIXED_PRECISION") or "no"
        self.acc = _accelerator(precision, find_unused=len(self.modules) > 1)
        self.rank, self.world = self.acc.process_index, self.acc.num_processes
        self.sharded = self.acc.distributed_type in (DistributedType.FSDP, DistributedType.DEEPSPEED)
        if self.acc.distributed_type == DistributedType.DEEPSPEED and c.gradient_accumulation != 1:
            from motionctx.errors import RecipeError

            raise RecipeError(
                "DeepSpeed steps the optimizer inside backward, so the train stage's gradient_accumulation must be 1",
                "set gradient_accumulation: 1 and gradient_accumulation_steps in the DeepSpeed config instead",
            )
        self.main = self.acc.is_main_process
        self.checkpoints = self.folder / "checkpoints"

        clips = load_clips(read_index(self.index), Cache(self.cache) if self.cache else None, c.buckets)
        geometry = backbone.geometry
        planner = BatchPlanner(
            clips, batch_size=c.batch_size, frames=c.frames, stride=c.stride, geometry=geometry, seed=c.seed
        )
        short = [cl.id for cl in clips if planner.usable_frames(cl) < planner.counts[0]]
        if short:
            self.log(
                f"train: {len(short)} clips are shorter than {c.frames[0]} frames at stride {c.stride}; "
                "they give shorter windows"
            )
        self.clips = clips
        self.loss_module = LossModule(backbone, self.modules)
        use_text = c.use_cached_text and self.loss_module.accepts_keyword("text_embeddings")
        self.data = self._custom_data or TrainingData(
            clips, planner, self.parts.motion, self.parts.composer, geometry, seed=c.seed, text_embeddings=use_text,
            motion_hint=c.motion_hint, batches_per_step=c.gradient_accumulation * self.world,
        )
        self.planner = planner
        params = list(self.named.values())
        self.optimizer = torch.optim.AdamW(
            params, lr=c.lr, betas=tuple(c.betas), eps=c.eps, weight_decay=c.weight_decay
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(s, warmup=c.warmup_steps, total=c.steps, schedule=c.schedule)
        )
        self.model, self.optimizer = self.acc.prepare(self.loss_module, self.optimizer)
        self.ema = EMA(self.named, c.ema) if c.ema else None
        self.metrics = MetricsLog(self.folder, tensorboard=c.tensorboard, enabled=self.main)

    def _default_data(self) -> TrainingData:
        return TrainingData(
            self.clips,
            self.planner,
            self.parts.motion,
            self.parts.composer,
            self.parts.backbone.geometry,
            seed=self.c.seed,
        )

    def _restore(self) -> int:
        """Load the checkpoint ``resume`` points at; returns the step to continue from."""
        path = ckpt.find_resume(self.checkpoints, self.c.resume)
        if path is None:
            return 0
        state = ckpt.load(path, self.rank)
        missing = set(self.named) - set(state.trainable)
        missing |= {k for k, p in self.named.items() if k in state.trainable and state.trainable[k].shape != p.shape}
        if missing:
            raise InputError(
                f"checkpoint {path} does not match this model ({len(missing)} tensors missing or of another "
                f"shape, e.g. {min(missing)})",
                "resume only with the same backbone, mode and LoRA settings, or set resume: never",
            )
        if self.sharded and (path / "accelerate").is_dir():
            self.acc.load_state(str(path / "accelerate"))  # weights and optimizer shards
        else:
            with torch.no_grad():
                for k, p in self.named.items():
                    p.copy_(state.trainable[k].to(p.device, p.dtype))
        if not self.sharded and state.optimizer is not None:
            self.optimizer.load_state_dict(state.optimizer)
        if state.scheduler is not None:
            self.scheduler.load_state_dict(state.scheduler)
        if self.ema is not None and state.ema is not None:
            self.ema.load(state.ema)
        if state.rng is not None:
            ckpt.set_rng_state(state.rng)
        if int(state.meta.get("world_size", self.world)) != self.world:
            self.log(
                f"train: resuming a {state.meta.get('world_size')}-process run with {self.world} processes; "
                "the data order continues but is not the one the original run would have seen"
            )
        self.log(f"train: resumed from {path} (step {state.step})")
        return state.step

    def _save(self, step: int, loss: float) -> Path:
        meta = {
            "world_size": self.world,
            "data_position": step * self.c.gradient_accumulation * self.world,
            "batches_per_epoch": self.planner.batches_per_epoch,
            "loss": loss,
            "seed": self.c.seed,
            "mode": self.c.mode,
            "time": time.time(),
        }
        with full_parameters(self.acc, self.model):
            path = ckpt.save(
                self.checkpoints,
                step,
                rank=self.rank,
                barrier=self.acc.wait_for_everyone,
                trainable=lambda: {k: p.detach() for k, p in self.named.items()},
                optimizer=lambda: {} if self.sharded else self.optimizer.state_dict(),
                scheduler=self.scheduler.state_dict(),
                ema=self.ema.state() if self.ema else None,
                meta=meta,
                keep=self.c.keep_checkpoints,
                each_rank=self._rank_files,
            )
        self.last_checkpoint = path
        return path

    def _rank_files(self, folder: Path) -> None:
        """Every process's part of a checkpoint: a fingerprint of its weights (so replicas can be
        compared) and, for sharded models, accelerate's own state files."""
        from motionctx.io import atomic_write_json

        if self.world > 1 and not self.sharded:
            atomic_write_json(
                folder / f"weights-{self.rank}.json", ckpt.fingerprint({k: p for k, p in self.named.items()})
            )
        if self.sharded:
            self.acc.save_state(str(folder / "accelerate"))
        if self.main and self.c.mode == "lora" and self.c.checkpoint_lora:
            with self.ema.applied() if self.ema else nullcontext():
                self.parts.backbone.save_lora(folder / self.c.export)

    # ------------------------------------------------------------------ the loop
    def run(self) -> TrainResult:
        """Train to ``steps`` (resuming when a checkpoint says so), export, and return the result."""
        from torch.utils.data import DataLoader

        self._setup()
        c = self.c
        start = self._restore()
        self.last_checkpoint: Path | None = ckpt.latest(self.checkpoints)
        accum = c.gradient_accumulation
        loader = DataLoader(
            self.data,
            batch_size=None,
            sampler=GlobalIndices(start * accum, c.steps * accum, self.rank, self.world),
            num_workers=c.num_workers,
            collate_fn=collate_one,
            prefetch_factor=2 if c.num_workers else None,
            worker_init_fn=ignore_signals if c.num_workers else None,
        )
        batches = ThreadPrefetch(loader, c.prefetch) if c.prefetch and not c.num_workers else iter(loader)
        task = (
            self.progress.add_task("train", total=c.steps, completed=start)
            if self.progress is not None and self.main
            else None
        )
        request = StopRequest()
        window: list[dict[str, float]] = []
        times: list[float] = []
        loss = float("nan")
        self._examples: list[Any] | None = None
        stop_thread = closing(batches) if isinstance(batches, ThreadPrefetch) else nullcontext()
        with stop_on_signals(request), closing(self.metrics), stop_thread:
            for step in range(start, c.steps):
                t0 = time.perf_counter()
                loss, stop, info = self._step(step, batches, request)
                done = step + 1
                dt = time.perf_counter() - t0
                times.append(dt)
                info.update(step=done, loss=loss, step_time=dt, lr=self.scheduler.get_last_lr()[0])
                if c.motion_hint is not None and isinstance(self.data, TrainingData):
                    info["motion_hint"] = self.data.hint_weight(step * accum * self.world)
                window.append(info)
                if self.main:
                    if task is not None:
                        self.progress.update(
                            task, completed=done, description=f"train loss {loss:.4f} | {dt:.2f} s/step"
                        )  # type: ignore[union-attr]
                    for cb in self.callbacks:
                        cb(done, info)
                if self.world == 1 and request:  # alone, a signal during the bookkeeping counts for this step
                    stop = stop or int(request.signum or 0)
                if done % c.log_every == 0 or done == c.steps or stop:
                    self._log_metrics(window)
                    window = []
                if done % c.checkpoint_every == 0 or done == c.steps or stop:
                    self._save(done, loss)
                if c.validate_every and done % c.validate_every == 0 and not stop:
                    self._validate(done)
                if stop:
                    raise TrainingInterrupted(
                        f"training stopped by signal {stop} after step {done}; checkpoint {self.last_checkpoint}",
                        "run the same command again to continue (resume: auto)",
                        signum=stop,
                        checkpoint=self.last_checkpoint,
                    )
        outputs = self._export()
        rate = 1.0 / (sum(times[1:]) / len(times[1:])) if len(times) > 1 else (1.0 / times[0] if times else 0.0)
        last = self.last_checkpoint or self._save(c.steps, loss)
        return TrainResult(
            self.folder,
            last,
            outputs.get("lora") or outputs.get("model"),
            start,
            c.steps,
            loss,
            rate,
            self.metrics.path,
            outputs,
        )

    def _step(self, step: int, batches: Any, request: StopRequest) -> tuple[float, int, dict[str, Any]]:
        """One optimizer step over ``gradient_accumulation`` micro-batches. Returns the mean loss
        over micro-batches and processes, the stop signal any process received (0: none) and
        step info. A non-finite loss or gradient anywhere stops every process before the update."""
        c = self.c
        accum = c.gradient_accumulation
        local_sum, finite = 0.0, True
        ids: list[str] = []
        data_time = 0.0
        frames, size = 0, (0, 0)
        try:
            for micro in range(accum):
                td = time.perf_counter()
                batch = next(batches)
                data_time += time.perf_counter() - td
                ids += batch.ids
                frames, size = batch.clean[0].num_frames, batch.clean[0].size
                torch.manual_seed(derive_seed(c.seed, batch.index, 4))
                generator = torch.Generator().manual_seed(derive_seed(c.seed, batch.index, 3))
                extra = {"text_embeddings": batch.text_embeddings} if batch.text_embeddings else {}
                inputs = LossInputs(batch.composites, batch.clean, batch.prompts, generator, extra)
                sync = micro == accum - 1 or self.world == 1
                with nullcontext() if sync else self.acc.no_sync(self.model):
                    loss = self.model(inputs)
                    self.acc.backward(loss / accum)
                value = float(loss.detach().float())
                finite = finite and math.isfinite(value)
                local_sum += value if math.isfinite(value) else 0.0
            bad, stop, total = self._agree(finite, local_sum, request)
            if bad:
                self.optimizer.zero_grad(set_to_none=True)
                self._diverged(step, "loss", ids)
            norm = self.acc.clip_grad_norm_(list(self.named.values()), c.max_grad_norm) if c.max_grad_norm else None
            if norm is not None and not math.isfinite(float(norm)):
                self.optimizer.zero_grad(set_to_none=True)
                self._diverged(step, "gradient norm", ids)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
        except torch.OutOfMemoryError:
            raise MotionctxError(
                f"out of memory at step {step + 1} (batch {c.batch_size} x {frames} frames of {size[0]}x{size[1]}: "
                f"{', '.join(ids)})",
                "options that lower memory: " + memory_advice(c, frames=frames, size=size, batch=c.batch_size),
            ) from None
        if self.ema is not None:
            self.ema.update()
        info = {
            "data_time": data_time,
            "frames": frames,
            "grad_norm": float(norm) if norm is not None else None,
            "samples": c.batch_size * accum * self.world,
            "epoch": batch.epoch,
        }
        return total / (accum * self.world), stop, info

    def _agree(self, finite: bool, loss_sum: float, request: StopRequest) -> tuple[bool, int, float]:
        """(some process had a non-finite loss, the stop signal any process got (0: none), the
        loss summed over processes): one small all-reduce per step, so every process decides alike."""
        import signal

        t = torch.tensor(
            [
                0.0 if finite else 1.0,
                float(request.signum == signal.SIGINT),
                float(request.signum == signal.SIGTERM),
                loss_sum,
            ],
            dtype=torch.float64,
            device=self.acc.device if self.world > 1 else "cpu",
        )
        if self.world > 1:
            import torch.distributed as dist

            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        bad, sigint, sigterm, total = t.tolist()
        return bad > 0, int(signal.SIGTERM) if sigterm > 0 else int(signal.SIGINT) if sigint > 0 else 0, total

    def _diverged(self, step: int, what: str, ids: list[str]) -> None:
        last = ckpt.latest(self.checkpoints)
        raise TrainingDiverged(
            f"the {what} is NaN or infinite at step {step + 1} (batch: {', '.join(ids)}); the step was not applied; "
            f"last good checkpoint: {last or 'none yet'}",
            "lower lr, keep max_grad_norm on, check these clips with `motionctx data check`, then rerun (resume: auto)",
            step=step + 1,
            batch_ids=ids,
            checkpoint=last,
        )

    def _log_metrics(self, window: list[dict[str, Any]]) -> None:
        if not window or not self.main:
            return
        last = window[-1]
        steps = [w["step_time"] for w in window]
        mean_time = sum(steps) / len(steps)
        norms = [w["grad_norm"] for w in window if w.get("grad_norm") is not None]
        self.metrics.write({
            "step": last["step"], "loss": sum(w["loss"] for w in window) / len(window), "lr": last["lr"],
            "grad_norm": sum(norms) / len(norms) if norms else None, "step_time": mean_time,
            "data_time": sum(w["data_time"] for w in window) / len(window),
            "samples_per_s": last["samples"] / mean_time if mean_time else None, "epoch": last["epoch"],
            "frames": last["frames"], "time": time.time(),
            **({"motion_hint": last["motion_hint"]} if "motion_hint" in last else {}),
        })  # fmt: skip

    # ------------------------------------------------------------------ validation and export
    def _validate(self, step: int) -> None:
        from motionctx.engines.training.validation import validation_examples, write_validation

        if self.sharded:
            self.log("train: validation previews are skipped with sharded models (FSDP/DeepSpeed)")
            return
        if self.main:
            if self._examples is None:
                data = self.data if isinstance(self.data, TrainingData) else self._default_data()
                self._examples = validation_examples(self.c, self.clips, data)
            folder = self.folder / "validation" / f"step-{step:08d}"
            for m in self.modules:
                m.eval()
            try:
                with self.ema.applied() if self.ema else nullcontext():
                    write_validation(
                        folder,
                        self._examples,
                        self.parts.backbone,
                        self.parts.motion,
                        self.parts.composer,
                        steps=self.c.validation_steps,
                        guidance=self.c.validation_guidance,
                        seed=self.c.seed,
                    )
            finally:
                for m in self.modules:
                    m.train()
            self.log(f"train: validation previews in {folder}")
        self.acc.wait_for_everyone()

    def _export(self) -> dict[str, Path]:
        """Rank 0 writes the LoRA (diffusers format) or the full weights, plus the resolved recipe."""
        outputs: dict[str, Path] = {}
        self.acc.wait_for_everyone()
        with full_parameters(self.acc, self.model):
            if self.main:
                self._write_exports(outputs)
        self.acc.wait_for_everyone()
        return outputs

    def _write_exports(self, outputs: dict[str, Path]) -> None:
        from motionctx.io import atomic_write_text

        with self.ema.applied() if self.ema else nullcontext():
            if self.c.mode == "lora":
                path = self.folder / self.c.export
                self.parts.backbone.save_lora(path)
                outputs["lora"] = path
            else:
                outputs["model"] = self._export_full()
        if self.recipe_yaml is not None:
            outputs["recipe"] = atomic_write_text(self.folder / "recipe.yaml", self.recipe_yaml)

    def _export_full(self) -> Path:
        """A full fine-tune: ``backbone.save_pretrained`` (a folder the backbone's ``path`` loads),
        or, for backbones without it, each trained network's weights."""
        from safetensors.torch import save_file

        from motionctx.io import atomic_path

        folder = self.folder / "model"
        try:
            return Path(self.parts.backbone.save_pretrained(folder))
        except NotImplementedError:
            pass
        for i, m in enumerate(self.modules):
            with atomic_path(folder / f"module-{i}.safetensors") as tmp:
                save_file({k: v.detach().cpu().contiguous() for k, v in m.state_dict().items()}, str(tmp))
        return folder
