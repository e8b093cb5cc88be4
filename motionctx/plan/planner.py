"""Tokens, parameters, memory and step time of a recipe, before anything is loaded.

:func:`plan_recipe` builds the recipe's backbone on the meta device (through
:meth:`~motionctx.parts.Backbone.planned_model`), reads the sizes of its train or animate stage
(:mod:`motionctx.plan.workload`) and combines them in :func:`plan_model`: parameters from the
meta modules, LoRA parameters from the recipe's rank and targets, activations and FLOPs from the
backbone's closed forms, and per-GPU memory under DDP, FSDP, ZeRO-2 and ZeRO-3
(:mod:`motionctx.plan.sharding`) at the step's peak: the largest of the moments the backbone
names (:meth:`~motionctx.plan.model.PlannedModel.training_moments`), each with the activations
and the gradients that exist then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError, RecipeError
from motionctx.plan.gpus import Gpu, find_gpu
from motionctx.plan.model import ActivationSetting, Moment, PlannedModel, trained_parameters
from motionctx.plan.sharding import STRATEGIES, Footprint, footprint, strategy_from_accelerate
from motionctx.plan.workload import Workload, recipe_workload

if TYPE_CHECKING:
    from motionctx.recipe import Recipe
    from motionctx.registry import Registry

__all__ = ["DEFAULT_UTILISATION", "Plan", "StrategyPlan", "plan_model", "plan_recipe"]

#: Share of the GPU's peak bf16 throughput a step is assumed to reach (model FLOPs utilisation).
DEFAULT_UTILISATION = 0.4
_DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}


@dataclass(frozen=True)
class StrategyPlan:
    """One process's memory under a strategy, with and without gradient checkpointing."""

    name: str
    label: str
    checkpointing: Footprint
    no_checkpointing: Footprint


@dataclass
class Plan:
    """What :func:`plan_model` found; :meth:`as_dict` is the ``--json`` output."""

    model: str
    source: str
    workload: Workload
    gpu: Gpu
    gpus: int
    utilisation: float
    tokens: int
    parameters: dict[str, int]
    weights: dict[str, int]
    trainable: int
    activations: dict[str, int]
    strategies: list[StrategyPlan]
    flops: float
    seconds: float
    chosen: str | None = None
    notes: list[str] = field(default_factory=list)
    #: strategy -> the most frames (frame rule kept) whose step fits the GPU, at the recipe's
    #: checkpointing setting; 0 when not even one latent frame fits
    fitting_frames: dict[str, int] = field(default_factory=dict)

    def fits(self, footprint: Footprint) -> bool:
        """Whether ``footprint`` fits the planned GPU's memory."""
        return footprint.total <= self.gpu.memory_bytes

    def as_dict(self) -> dict[str, Any]:
        w = self.workload
        return {
            "model": self.model,
            "source": self.source,
            "stage": w.stage,
            "stage_key": w.key,
            "frames": w.frames,
            "size": list(w.size),
            "composite": list(w.composite),
            "tokens": self.tokens,
            "batch_size": w.batch,
            "gradient_accumulation": w.accumulation,
            "mode": w.mode if w.training else None,
            "lora_rank": w.rank if w.training and w.mode == "lora" else None,
            "gradient_checkpointing": w.checkpointing if w.training else None,
            "mixed_precision": w.precision if w.training else None,
            "parameters": self.parameters,
            "weights_bytes": self.weights,
            "trainable_parameters": self.trainable,
            "activation_bytes": self.activations,
            "gpu": {"name": self.gpu.name, "memory_bytes": self.gpu.memory_bytes, "bf16_tflops": self.gpu.bf16_tflops},
            "gpus": self.gpus,
            "utilisation": self.utilisation,
            "strategy": self.chosen,
            "per_gpu": {
                s.name: {
                    "label": s.label,
                    "checkpointing": {**s.checkpointing.as_dict(), "fits": self.fits(s.checkpointing)},
                    "no_checkpointing": {**s.no_checkpointing.as_dict(), "fits": self.fits(s.no_checkpointing)},
                }
                for s in self.strategies
            },
            "flops": self.flops,
            "seconds": self.seconds,
            "fitting_frames": self.fitting_frames,
            "notes": self.notes,
        }


def _unit_bytes(module: Any, dtype_bytes: int) -> int:
    """Bytes of the largest block a sharding wrapper gathers whole (the ``_no_split_modules``
    classes diffusers and transformers models name, e.g. one transformer block)."""
    names = set(getattr(module, "_no_split_modules", None) or ())
    sizes = [sum(p.numel() for p in m.parameters()) for m in module.modules() if type(m).__name__ in names]
    return max(sizes, default=0) * dtype_bytes


def plan_model(
    model: PlannedModel,
    workload: Workload,
    *,
    gpu: Gpu | str = "h100",
    gpus: int = 1,
    utilisation: float = DEFAULT_UTILISATION,
    strategy: str | None = None,
) -> Plan:
    """Combine a planned backbone with a workload (see the module doc)."""
    gpu = find_gpu(gpu) if isinstance(gpu, str) else gpu
    if gpus < 1:
        raise InputError(f"--gpus must be at least 1, got {gpus}")
    if not 0 < utilisation <= 1:
        raise InputError(f"utilisation must be in (0, 1], got {utilisation}", "e.g. 0.4 for 40% of the peak")
    networks = model.networks()
    trained = [n for n in networks if n.trained]
    parameters = {n.name: n.parameters for n in networks}
    weights = {n.name: n.parameters * n.dtype_bytes for n in networks}
    w = workload
    tokens = model.tokens(*w.composite)
    forward = model.forward_flops(tokens)
    dtype_bytes = trained[0].dtype_bytes if trained else 2
    notes = list(w.notes)
    if not w.training:
        passes = 2 if w.guidance > 1 else 1
        activation = w.batch * model.inference_bytes(tokens, dtype_bytes)  # batch 2: guided passes batched
        frozen = sum(weights.values())
        single = Footprint(frozen, 0, 0, 0, activation, 0)
        flops = w.steps * passes * forward
        batched = " in one batch" if w.batch > 1 else ""
        notes.append(
            f"{w.steps} denoising steps x {passes} forward passes{batched} (guidance {w.guidance}); VAE and "
            "encoders not timed"
        )
        return Plan(
            model.name, model.source, w, gpu, 1, utilisation, tokens, parameters, weights, 0,
            {"inference": activation}, [StrategyPlan("single", "one GPU", single, single)],
            flops, flops / (gpu.bf16_tflops * 1e12 * utilisation), None, notes,
        )  # fmt: skip

    def counted(module: Any, within: tuple[str, ...] | None = None) -> int:
        return trained_parameters(module, w.mode, rank=w.rank, targets=w.targets, within=within)  # type: ignore[arg-type]

    trainable = sum(counted(n.module) for n in trained)
    if w.mode == "lora":
        if not trainable:
            raise RecipeError(
                f"LoRA targets {list(w.targets)} match no linear layer of {model.name}", key=f"{w.key}.lora_targets"
            )
        trained_bytes, shardable = 4, sum(weights[n.name] for n in trained)  # adapters are trained in float32
    else:
        trained_bytes, shardable = dtype_bytes, 0
    replicated = sum(weights.values()) - sum(weights[n.name] for n in trained)
    autocast = w.precision in ("bf16", "fp16")

    def setting(ckpt: bool) -> ActivationSetting:
        return ActivationSetting(w.mode, 2 if autocast else dtype_bytes, autocast, ckpt)  # type: ignore[arg-type]

    act = {
        ("checkpointing" if ckpt else "no_checkpointing"): w.batch * model.activation_bytes(tokens, setting(ckpt))
        for ckpt in (True, False)
    }
    unit = max((_unit_bytes(n.module, n.dtype_bytes) for n in trained), default=0)
    names = [n for n in STRATEGIES if gpus > 1 or n == "ddp"]

    made_cache: dict[tuple[str, ...], int] = {}

    def made(moment: Moment) -> int:
        """Trained parameters whose gradients exist at ``moment``: its prefixes in the network
        that runs, every other trained network whole (it may hold gradients from another sample);
        all of them while gradients accumulate over micro-batches."""
        if moment.made is None or w.accumulation > 1 or not trained:
            return trainable
        if moment.made not in made_cache:
            made_cache[moment.made] = counted(trained[0].module, moment.made) + sum(
                counted(n.module) for n in trained[1:]
            )
        return made_cache[moment.made]

    def per_gpu(name: str, tokens: int, ckpt: bool) -> Footprint:
        """The step's peak: the moment whose activations and gradients need the most memory."""
        moments = model.training_moments(tokens, setting(ckpt))
        sizes = {"gpus": gpus, "replicated": replicated, "shardable": shardable, "unit_bytes": unit}
        sizes |= {"trained_params": trainable, "trained_bytes": trained_bytes}
        found = [
            footprint(name, activations=w.batch * m.activations, gradient_params=made(m), **sizes) for m in moments
        ]
        return max(found, key=lambda f: f.total)

    strategies = [
        StrategyPlan(name, STRATEGIES[name] if gpus > 1 else "one GPU", per_gpu(name, tokens, True),
                     per_gpu(name, tokens, False))
        for name in names
    ]  # fmt: skip
    fitting = {}
    for name in names:
        frames = w.frames
        while frames >= 1:
            comp = (frames + w.composite[0] - w.frames, *w.composite[1:])
            if per_gpu(name, model.tokens(*comp), w.checkpointing).total <= gpu.memory_bytes:
                break
            frames -= model.geometry.temporal_factor
        fitting[name] = max(frames, 0)
    # a frozen base needs gradients with respect to activations only (one forward's worth);
    # a full fine-tune also with respect to weights; checkpointing runs the forward again
    passes = (2 if w.mode == "lora" else 3) + (1 if w.checkpointing else 0)
    flops = w.batch * w.accumulation * passes * forward
    seconds = flops / (gpu.bf16_tflops * 1e12 * utilisation)
    notes.append(
        f"step time: {passes} forward-equivalents per sample ({'LoRA' if w.mode == 'lora' else 'full'}"
        f"{', recomputed blocks' if w.checkpointing else ''}) at {utilisation:.0%} of {gpu.bf16_tflops:g} TFLOPS; "
        "VAE encoding and communication not counted"
    )
    notes.append(
        "memory at the step's peak: the backward pass makes each block's gradients as it frees the block's "
        "activations, so the gradients counted are those made by then"
        + (" (all of them: they accumulate over micro-batches)" if w.accumulation > 1 else "")
    )
    if model.experts_per_pass < len(trained):
        notes.append(
            f"{len(trained)} experts are trained (each has its adapter and optimizer state); one runs per sample"
        )
    return Plan(
        model.name, model.source, w, gpu, gpus, utilisation, tokens, parameters, weights, trainable, act,
        strategies, flops, seconds, strategy, notes, fitting,
    )  # fmt: skip


def plan_recipe(
    recipe: Recipe,
    *,
    model: str | None = None,
    gpus: int | None = None,
    gpu: str = "h100",
    utilisation: float = DEFAULT_UTILISATION,
    accelerate: str | Path | None = None,
    registry: Registry | None = None,
) -> Plan:
    """Plan ``recipe``: its backbone on the meta device (``model``: a published configuration
    instead of the weights folder), its train or animate stage's sizes, on ``gpus`` GPUs of kind
    ``gpu``. ``accelerate``: an accelerate config file whose strategy (and process count, unless
    ``gpus`` is given) the plan marks."""
    if registry is None:
        from motionctx.plugins import get_registry

        registry = get_registry()
    bspec = next((s for s in recipe.parts.values() if s.kind == "backbone"), None)
    if bspec is None:
        raise RecipeError("the recipe has no backbone to plan", "add parts.backbone: {use: ...}")
    backbone = registry.build("backbone", bspec.use, bspec.params, where=f"parts.{bspec.slot}.with")
    cspec = next((s for s in recipe.parts.values() if s.kind == "composer"), None)
    composer = registry.build("composer", cspec.use, cspec.params) if cspec is not None else None
    planned = backbone.planned_model(model)
    workload = recipe_workload(recipe, registry, backbone, composer, planned.geometry)
    strategy = None
    if accelerate is not None:
        strategy, procs = strategy_from_accelerate(accelerate)
        gpus = gpus or procs
    return plan_model(planned, workload, gpu=gpu, gpus=gpus or 1, utilisation=utilisation, strategy=strategy)
