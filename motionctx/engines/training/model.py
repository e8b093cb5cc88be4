"""What gets trained: LoRA or full weights on the backbone's networks, wrapped for accelerate.

The Backbone interface exposes ``training_loss`` and ``trainable_parameters``; distributed
wrappers (DDP, FSDP, DeepSpeed) need the ``nn.Module`` objects that own those parameters and a
``forward`` that runs the loss. :class:`LossModule` is that forward: its submodules are the
backbone's networks, and it calls ``backbone.training_loss`` (which uses the same networks), so
wrapping it in DDP synchronises exactly the trained gradients.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch

from motionctx.errors import RecipeError

if TYPE_CHECKING:
    from motionctx.engines.training.options import TrainConfig
    from motionctx.parts import Backbone

__all__ = ["LossInputs", "LossModule", "attach", "full_parameters", "named_trainable", "training_modules"]


def training_modules(backbone: Backbone) -> list[torch.nn.Module]:
    """The networks the engine trains: ``backbone.training_modules()`` when defined, else
    ``backbone.experts()`` (the Wan backbones), else the backbone's ``nn.Module`` attributes (and
    its ``pipe``'s components) that own a trainable parameter."""
    for attr in ("training_modules", "experts"):
        fn = getattr(backbone, attr, None)
        if callable(fn):
            found = [m for m in fn() if isinstance(m, torch.nn.Module)]
            if found:
                return found
    candidates = [v for v in vars(backbone).values() if isinstance(v, torch.nn.Module)]
    components = getattr(getattr(backbone, "pipe", None), "components", None)
    if isinstance(components, dict):
        candidates += [v for v in components.values() if isinstance(v, torch.nn.Module)]
    wanted = {id(p) for p in backbone.trainable_parameters()}
    found = [m for m in candidates if any(id(p) in wanted for p in m.parameters())]
    if not found:
        raise RecipeError(
            f"backbone {backbone.name!r} exposes no network to train",
            "give the backbone a training_modules() method returning its trainable nn.Modules",
        )
    return found


def attach(backbone: Backbone, config: TrainConfig, log: Callable[[str], None]) -> list[torch.nn.Module]:
    """Add (or load) the LoRA adapters, or unfreeze everything for a full fine-tune; turn on
    gradient checkpointing when asked. Returns the training modules."""
    if config.mode == "lora":
        if not getattr(backbone, "supports_lora", True):
            raise RecipeError(f"backbone {backbone.name!r} does not support LoRA", "use mode: full")
        if config.init_lora:
            backbone.load_lora(config.init_lora)
            log(f"train: warm start from LoRA {config.init_lora}")
        else:
            targets = tuple(config.lora_targets) if config.lora_targets else None
            backbone.add_lora(rank=config.lora_rank, alpha=config.lora_alpha, targets=targets)
        modules = training_modules(backbone)
    else:
        modules = training_modules(backbone)
        for m in modules:
            m.requires_grad_(True)
            if any(p.dtype != torch.float32 for p in m.parameters()):
                log(
                    "train: full fine-tune of non-float32 weights; "
                    "load the backbone with dtype float32 for stable AdamW"
                )
    if config.gradient_checkpointing:
        enable = getattr(backbone, "enable_gradient_checkpointing", None)
        if callable(enable):
            enable()
        else:
            for m in modules:
                if getattr(m, "_supports_gradient_checkpointing", False) and hasattr(
                    m, "enable_gradient_checkpointing"
                ):
                    m.enable_gradient_checkpointing()
                else:
                    log(f"train: {type(m).__name__} does not support gradient checkpointing; it stays off")
    for m in modules:
        m.train()
    return modules


def named_trainable(modules: list[torch.nn.Module]) -> dict[str, torch.nn.Parameter]:
    """Trainable parameters by a stable name ``<module index>.<parameter name>``."""
    named = {f"{i}.{n}": p for i, m in enumerate(modules) for n, p in m.named_parameters() if p.requires_grad}
    if not named:
        raise RecipeError(
            "nothing to train: no parameter requires gradients",
            "check mode, lora_targets (they must match module names of the backbone)",
        )
    return named


class LossInputs:
    """The arguments of ``training_loss`` in one plain object (DDP passes it through untouched)."""

    def __init__(
        self, composites: list[Any], clean: list[Any], prompts: list[str], generator: Any, extra: dict[str, Any]
    ) -> None:
        self.composites, self.clean, self.prompts, self.generator, self.extra = (
            composites,
            clean,
            prompts,
            generator,
            extra,
        )


class LossModule(torch.nn.Module):
    """``forward(inputs) = backbone.training_loss(...)``; its submodules are the trained networks."""

    def __init__(self, backbone: Backbone, modules: list[torch.nn.Module]) -> None:
        super().__init__()
        self.models = torch.nn.ModuleList(modules)
        self.backbone = backbone  # a Part, not a Module: not registered as a submodule
        params = inspect.signature(backbone.training_loss).parameters
        self._accepts = None if any(p.kind == p.VAR_KEYWORD for p in params.values()) else set(params)

    def accepts_keyword(self, name: str) -> bool:
        """Whether ``training_loss`` takes keyword ``name`` (e.g. ``text_embeddings``)."""
        return self._accepts is None or name in self._accepts

    def forward(self, inputs: LossInputs) -> torch.Tensor:
        extra = {k: v for k, v in inputs.extra.items() if self.accepts_keyword(k)}
        return self.backbone.training_loss(inputs.composites, inputs.clean, inputs.prompts, inputs.generator, **extra)


@contextmanager
def full_parameters(accelerator: Any, model: torch.nn.Module) -> Iterator[None]:
    """Collective: inside the block every process sees whole parameters (FSDP gathers its
    shards, DeepSpeed ZeRO-3 its partitions); a no-op for DDP and single processes."""
    from accelerate.utils import DistributedType

    kind = accelerator.distributed_type
    if kind == DistributedType.FSDP:
        from torch.distributed.fsdp import FullyShardedDataParallel

        with FullyShardedDataParallel.summon_full_params(model, writeback=False):
            yield
    elif kind == DistributedType.DEEPSPEED and int(getattr(accelerator.state.deepspeed_plugin, "zero_stage", 0)) == 3:
        import deepspeed  # type: ignore[import-not-found]

        with deepspeed.zero.GatheredParameters(list(model.parameters()), modifier_rank=None):
            yield
    else:
        yield
