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

__all__ = ["ActivationSetting", "Network", "PlannedModel", "lora_parameters", "parameter_count"]

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

    @abstractmethod
    def inference_bytes(self, tokens: int, dtype_bytes: int) -> int:
        """Peak working memory of one forward pass without gradients (sampling)."""


def parameter_count(module: Any) -> int:
    """Parameters of a module (meta tensors count as well as real ones)."""
    return sum(p.numel() for p in module.parameters())


def lora_parameters(module: Any, rank: int, patterns: tuple[str, ...] | list[str]) -> int:
    """Parameters that LoRA adapters of ``rank`` add on every linear layer whose full name
    matches one of ``patterns`` (full match, as peft reads a regex ``target_modules``):
    ``rank * (in_features + out_features)`` per layer."""
    regex = re.compile("|".join(f"(?:{p})" for p in patterns))
    total = 0
    for name, sub in module.named_modules():
        if regex.fullmatch(name) and hasattr(sub, "in_features") and hasattr(sub, "out_features"):
            total += rank * (int(sub.in_features) + int(sub.out_features))
    return total
