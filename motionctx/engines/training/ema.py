"""Exponential moving average of the trained weights (kept in float32 beside them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["EMA"]


class EMA:
    """``shadow = decay * shadow + (1 - decay) * weight`` after every optimizer step, with the
    usual warm-up ``min(decay, (1 + n) / (10 + n))`` so early averages are not dominated by the
    initial weights."""

    def __init__(self, named: dict[str, torch.nn.Parameter], decay: float) -> None:
        self.decay = decay
        self.params = named
        self.shadow = {k: p.detach().float().clone() for k, p in named.items()}
        self.updates = 0

    def update(self) -> None:
        import torch

        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        with torch.no_grad():
            for k, p in self.params.items():
                self.shadow[k].lerp_(p.detach().float(), 1.0 - d)

    def state(self) -> dict[str, torch.Tensor]:
        import torch

        return {**self.shadow, "__updates__": torch.tensor(self.updates)}

    def load(self, state: dict[str, torch.Tensor]) -> None:
        self.updates = int(state.get("__updates__", 0))
        for k, v in state.items():
            if k in self.shadow:
                self.shadow[k].copy_(v)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """Swap the averaged weights in for the block (validation, export), then back."""
        import torch

        saved = {k: p.detach().clone() for k, p in self.params.items()}
        with torch.no_grad():
            for k, p in self.params.items():
                p.copy_(self.shadow[k].to(p.dtype))
        try:
            yield
        finally:
            with torch.no_grad():
                for k, p in self.params.items():
                    p.copy_(saved[k])
