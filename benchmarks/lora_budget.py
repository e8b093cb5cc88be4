"""LoRA budget of the real Wan transformers, built on the meta device (no weights, no download).

For Wan 2.1 I2V 14B, Wan 2.1 T2V 1.3B and Wan 2.2 TI2V-5B: total parameters, trainable parameters of
FFN-only LoRA at ranks 64/128/256 (the adapters motionctx-wan adds), tokens per sample for 121 frames
at 480x832 with the spatial composite (width doubled), and memory for bf16 weights and for the
LoRA training state (fp32 adapter + fp32 gradient + AdamW's two fp32 moments = 16 bytes/param).

The configs follow the public model cards / diffusers configs of each checkpoint.

    python benchmarks/lora_budget.py
"""

from __future__ import annotations

import torch
from diffusers.utils import logging as diffusers_logging
from transformers.utils import logging as transformers_logging

from motionctx_wan import lora
from motionctx_wan.backbone import WanBackbone

# name: (transformer config, VAE (temporal, spatial) factors)
MODELS: dict[str, tuple[dict, tuple[int, int]]] = {
    "wan21_i2v_14b": (
        dict(
            num_attention_heads=40, attention_head_dim=128, in_channels=36, out_channels=16, text_dim=4096,
            freq_dim=256, ffn_dim=13824, num_layers=40, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
            eps=1e-6, image_dim=1280, added_kv_proj_dim=5120, rope_max_seq_len=1024,
        ),
        (4, 8),
    ),
    "wan21_t2v_1.3b": (
        dict(
            num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16, text_dim=4096,
            freq_dim=256, ffn_dim=8960, num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
            eps=1e-6, rope_max_seq_len=1024,
        ),
        (4, 8),
    ),
    "wan22_ti2v_5b": (
        dict(
            num_attention_heads=24, attention_head_dim=128, in_channels=48, out_channels=48, text_dim=4096,
            freq_dim=256, ffn_dim=14336, num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
            eps=1e-6, rope_max_seq_len=1024,
        ),
        (4, 16),
    ),
}
RANKS = (64, 128, 256)
FRAMES, HEIGHT, WIDTH = 121, 480, 832
GIB = 1024**3


def tokens(frames: int, height: int, width: int, temporal: int, spatial: int, patch: int = 2) -> int:
    return ((frames - 1) // temporal + 1) * (height // spatial // patch) * (width // spatial // patch)


def lora_count(config: dict, rank: int) -> int:
    """Adapter parameters after adding FFN LoRA at ``rank`` to a meta-device transformer."""
    from diffusers import WanTransformer3DModel

    with torch.device("meta"):
        model = WanTransformer3DModel(**config)
        lora.add(model, rank, float(rank), WanBackbone.lora_targets, None)
    return sum(p.numel() for p in lora.adapter_parameters(model))


def main() -> None:
    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
    from diffusers import WanTransformer3DModel

    results: dict[str, int] = {}
    header = f"{'model':16} {'params':>9} {'bf16 GiB':>8} {'tokens':>7} {'tokens 2W':>9} " + " ".join(
        f"{'lora r' + str(r):>11} {'state GiB':>9}" for r in RANKS
    )
    print(header)
    print("-" * len(header))
    for name, (config, (temporal, spatial)) in MODELS.items():
        with torch.device("meta"):
            total = sum(p.numel() for p in WanTransformer3DModel(**config).parameters())
        single = tokens(FRAMES, HEIGHT, WIDTH, temporal, spatial)
        doubled = tokens(FRAMES, HEIGHT, 2 * WIDTH, temporal, spatial)
        row = f"{name:16} {total / 1e9:8.2f}B {total * 2 / GIB:8.1f} {single:7d} {doubled:9d}"
        for rank in RANKS:
            count = lora_count(config, rank)
            dim = config["num_attention_heads"] * config["attention_head_dim"]
            ffn, layers = config["ffn_dim"], config["num_layers"]
            assert count == layers * 2 * rank * (dim + ffn), "adapter count disagrees with 2r(dim+ffn) per block"
            results[f"{name}_lora{rank}"] = count
            row += f" {count / 1e6:10.1f}M {count * 16 / GIB:9.2f}"
        print(row)
    print()
    print(f"tokens: latent tokens per sample for {FRAMES} frames at {HEIGHT}x{WIDTH} (2W = spatial composite, "
          f"{HEIGHT}x{2 * WIDTH}); patch 1x2x2")
    print("state: LoRA training memory = fp32 adapter + fp32 grad + AdamW m and v (16 bytes/param); "
          "the frozen base stays bf16 (bf16 GiB column)")
    print(f"RESULT wan21_i2v_14b_lora256={results['wan21_i2v_14b_lora256']}")


if __name__ == "__main__":
    main()
