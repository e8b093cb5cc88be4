"""Shared rotary positions across the halves of a side-by-side composite (``rope_parts``)."""

from __future__ import annotations

import pytest
import torch
from diffusers import WanTransformer3DModel

from motionctx.errors import InputError
from motionctx_wan.rope import SharedWidthRope, share_width_positions


def _transformer() -> WanTransformer3DModel:
    torch.manual_seed(0)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=24, in_channels=8, out_channels=8,
        text_dim=16, freq_dim=32, ffn_dim=64, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
    ).eval()


def _run(tr: WanTransformer3DModel, x: torch.Tensor) -> torch.Tensor:
    text = torch.randn(1, 4, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return tr(hidden_states=x, timestep=torch.tensor([500]), encoder_hidden_states=text).sample


def _swap(x: torch.Tensor) -> torch.Tensor:
    w = x.shape[-1] // 2
    return torch.cat([x[..., w:], x[..., :w]], dim=-1)


def test_shared_positions_tile_the_first_slice() -> None:
    rope = _transformer().rope
    x = torch.zeros(1, 8, 3, 8, 16)
    cos, sin = SharedWidthRope(rope, 2)(x)
    half_cos, half_sin = rope(x[..., :8])
    grid = cos.reshape(3, 4, 8, -1)
    assert torch.equal(grid[:, :, :4], grid[:, :, 4:])
    assert torch.equal(grid[:, :, :4].reshape(half_cos.shape), half_cos)
    assert torch.equal(sin.reshape(3, 4, 8, -1)[:, :, 4:].reshape(half_sin.shape), half_sin)
    own_cos, _ = rope(x)
    assert not torch.equal(cos, own_cos)


def test_with_shared_positions_swapping_the_halves_swaps_the_output() -> None:
    """Attention sees only content and positions, so once both halves share positions the model
    cannot tell them apart: swapping the halves of the input swaps those of the output."""
    tr = _transformer()
    x = torch.randn(1, 8, 3, 8, 16, generator=torch.Generator().manual_seed(2))
    own = (_run(tr, _swap(x)) - _swap(_run(tr, x))).abs().max()
    share_width_positions(tr, 2)
    shared = (_run(tr, _swap(x)) - _swap(_run(tr, x))).abs().max()
    assert shared < 1e-5
    assert own > 1e-3
    share_width_positions(tr, 1)
    assert not isinstance(tr.rope, SharedWidthRope)


def test_width_that_does_not_split_is_refused() -> None:
    with pytest.raises(InputError, match="rope_parts=2"):
        SharedWidthRope(_transformer().rope, 2)(torch.zeros(1, 8, 1, 8, 6))


def test_backbone_option_wraps_the_loaded_transformer(fresh_backbone, backbones) -> None:
    bb = fresh_backbone("i2v", rope_parts=2)
    tr = bb.main_transformer(bb.pipe)
    assert isinstance(tr.rope, SharedWidthRope) and tr.rope.parts == 2
    plain = backbones["i2v"].main_transformer(backbones["i2v"].pipe)
    assert tr.state_dict().keys() == plain.state_dict().keys()   # nothing learned or saved is added
