"""Rotary positions shared across the halves of a side-by-side composite.

Wan numbers token columns 0..W-1 across the whole composite, so the reference-half token and the
motion-half token at the same place in the picture sit W/2 columns apart. ``SharedWidthRope`` gives
every one of ``parts`` equal width slices the positions of the first, so those two tokens share a
position. Nothing is learned or added: it wraps the transformer's own ``rope`` module.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from motionctx.errors import InputError


class SharedWidthRope(nn.Module):
    """Wraps a ``WanRotaryPosEmbed``: the input's width splits into ``parts`` equal slices that all
    get the rotary positions of the first slice."""

    def __init__(self, inner: nn.Module, parts: int) -> None:
        super().__init__()
        if parts < 2:
            raise ValueError(f"parts must be >= 2 (1 is the model's own rope), got {parts}")
        self.inner = inner
        self.parts = parts

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, _, frames, height, width = hidden_states.shape
        p_t, p_h, p_w = self.inner.patch_size
        cols = width // p_w
        if cols % self.parts:
            raise InputError(
                f"rope_parts={self.parts}: the latent is {cols} tokens wide, not a multiple of {self.parts}",
                "use a composite whose width splits into equal parts, or set rope_parts: 1",
            )
        slice_ = hidden_states[..., : width // self.parts]
        cos, sin = self.inner(slice_)
        shape = (1, frames // p_t, height // p_h, cols // self.parts, 1, cos.shape[-1])

        def tile(freqs: torch.Tensor) -> torch.Tensor:
            return freqs.reshape(shape).repeat(1, 1, 1, self.parts, 1, 1).reshape(1, -1, 1, shape[-1])

        return tile(cos), tile(sin)


def share_width_positions(transformer: Any, parts: int) -> None:
    """Make ``transformer`` (a ``WanTransformer3DModel``) share rotary positions across ``parts``
    equal width slices of its input; ``parts=1`` restores its own positions."""
    rope = transformer.rope
    inner = rope.inner if isinstance(rope, SharedWidthRope) else rope
    transformer.rope = inner if parts == 1 else SharedWidthRope(inner, parts)
