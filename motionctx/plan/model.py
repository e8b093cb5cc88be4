"""What a backbone tells the planner: its networks on the meta device and its closed forms.

A backbone that can be planned returns a :class:`PlannedModel` from
:meth:`~motionctx.parts.Backbone.planned_model`. The planner counts parameters from the meta
modules (no weights are read) and asks the model for the numbers only its architecture knows:
sequence length, forward FLOPs and activation memory.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from motionctx.types import Geometry

__all__ = [
    "ActivationSetting",
    "Moment",
    "Network",
    "PlannedModel",
    "lora_parameters",
    "parameter_count",
    "trained_parameters",
]

Mode = Literal["lora", "full"]


@dataclass(frozen=True)
class Network:
    """One network of a backbone: its module on the meta device, the bytes per parameter it is
    loaded with, and whether training adapts it (LoRA or full weights)."""

    name: str
    module: Any
    dtype_bytes: int
    trained: bool = False

    @property
    def parameters(self) -> int:
        """Number of parameters (buffers excluded)."""
        return parameter_count(self.module)


@dataclass(frozen=True)
class ActivationSetting:
    """How a training step keeps activations: what is trained, the bytes of an activation
    (the backbone's dtype, or 2 under bf16/fp16 autocast), whether autocast is on, and whether
    transformer blocks are recomputed in the backward pass."""

    mode: Mode = "lora"
    dtype_bytes: int = 2
    autocast: bool = False
    checkpointing: bool = False


@dataclass(frozen=True)
class Moment:
    """One candidate for the peak of a training step: the bytes of activations one sample holds
    then, and which trained parameters have their gradients by then.

    ``made``: name prefixes (a module or parameter name and everything under it) inside the trained
    network that runs; ``None``: every trained parameter (after the backward pass, or before it
    when gradients accumulate over micro-batches). The backward pass makes a block's gradients
    while it frees that block's saved tensors, so the two do not peak together."""

    activations: int
    made: tuple[str, ...] | None = None


class PlannedModel(ABC):
    """A backbone configuration as the planner sees it.

    ``name`` says which configuration (a published name or a folder), ``geometry`` its size
    rules; ``experts_per_pass`` is how many of the trained networks one forward pass runs (1 for
    a mixture of experts that picks one per noise level)."""

    name: str
    source: str
    geometry: Geometry
    experts_per_pass: int = 1
    #: bytes per value of the trained networks' weights and activations (2 for bf16)
    dtype_bytes: int = 2

    @abstractmethod
    def networks(self) -> list[Network]:
        """Every network the backbone loads, built on the meta device."""

    @abstractmethod
    def tokens(self, frames: int, height: int, width: int) -> int:
        """Transformer sequence length of one video of ``frames`` x ``height`` x ``width`` pixels."""

    @abstractmethod
    def forward_flops(self, tokens: int) -> float:
        """FLOPs of one forward pass of one trained network over one sample of ``tokens`` tokens."""

    @abstractmethod
    def activation_bytes(self, tokens: int, setting: ActivationSetting) -> int:
        """Peak memory one training sample adds above the weights: saved activations plus the
        largest working set of the backward pass."""

    def training_moments(self, tokens: int, setting: ActivationSetting) -> list[Moment]:
        """The moments of one training step that can be its peak (the planner takes the one that
        needs the most memory once gradients are counted under its sharding). The default, one
        moment with every activation and every gradient, is an upper bound."""
        return [Moment(self.activation_bytes(tokens, setting))]

    @abstractmethod
    def inference_bytes(self, tokens: int, dtype_bytes: int) -> int:
        """Peak working memory of one forward pass without gradients (sampling)."""


def parameter_count(module: Any) -> int:
    """Parameters of a module (meta tensors count as well as real ones)."""
    return sum(p.numel() for p in module.parameters())


def _under(name: str, prefixes: tuple[str, ...] | None) -> bool:
    """Whether ``name`` is one of ``prefixes`` or lies under one (``None``: everything)."""
    return prefixes is None or any(name == p or name.startswith(p + ".") for p in prefixes)


def lora_parameters(
    module: Any, rank: int, patterns: tuple[str, ...] | list[str], within: tuple[str, ...] | None = None
) -> int:
    """Parameters that LoRA adapters of ``rank`` add on every linear layer whose full name
    matches one of ``patterns`` (full match, as peft reads a regex ``target_modules``):
    ``rank * (in_features + out_features)`` per layer; ``within``: only layers under these name
    prefixes."""
    regex = re.compile("|".join(f"(?:{p})" for p in patterns))
    total = 0
    for name, sub in module.named_modules():
        linear = hasattr(sub, "in_features") and hasattr(sub, "out_features")
        if linear and regex.fullmatch(name) and _under(name, within):
            total += rank * (int(sub.in_features) + int(sub.out_features))
    return total


def trained_parameters(
    module: Any,
    mode: Mode,
    *,
    rank: int = 0,
    targets: tuple[str, ...] | list[str] = (),
    within: tuple[str, ...] | None = None,
) -> int:
    """Parameters a training run adapts in ``module`` (``within``: under these name prefixes
    only): every parameter for a full fine-tune, the LoRA adapters' otherwise."""
    if mode == "lora":
        return lora_parameters(module, rank, targets, within)
    return sum(p.numel() for name, p in module.named_parameters() if _under(name, within))
