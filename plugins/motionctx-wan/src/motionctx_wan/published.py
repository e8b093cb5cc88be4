"""Published Wan configurations as data, for planning without the weights folder.

Each entry holds the ``config.json`` values of the diffusers-format checkpoints on the Hugging
Face hub that change the networks' shapes (defaults left out), and the ``model_index.json``
layout (which networks exist). Sources, all under https://huggingface.co/Wan-AI/:

* ``Wan2.1-I2V-14B-480P-Diffusers`` and ``Wan2.1-I2V-14B-720P-Diffusers``: ``transformer/``,
  ``vae/``, ``text_encoder/``, ``image_encoder/config.json`` (the two differ in weights and
  training resolution, not in shapes);
* ``Wan2.2-I2V-A14B-Diffusers``: ``transformer/`` and ``transformer_2/`` (same shapes, no image
  encoder), ``model_index.json`` (``boundary_ratio: 0.9``);
* ``Wan2.2-TI2V-5B-Diffusers``: ``transformer/``, ``vae/`` (the Wan 2.2 VAE, 16x spatial).

The same numbers appear in the original Wan repositories' ``wan/configs/*.py`` (dim 5120 /
ffn 13824 / 40 heads / 40 layers for the 14B models; 3072 / 14336 / 24 / 30 for TI2V-5B).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PUBLISHED"]

_I2V_14B_TRANSFORMER: dict[str, Any] = {
    "patch_size": [1, 2, 2],
    "num_attention_heads": 40,
    "attention_head_dim": 128,
    "in_channels": 36,
    "out_channels": 16,
    "text_dim": 4096,
    "freq_dim": 256,
    "ffn_dim": 13824,
    "num_layers": 40,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "eps": 1e-6,
    "rope_max_seq_len": 1024,
}
#: Wan 2.1 VAE: diffusers' AutoencoderKLWan defaults (z_dim 16, 8x spatial, 4x temporal).
_VAE_21: dict[str, Any] = {"base_dim": 96, "z_dim": 16, "dim_mult": [1, 2, 4, 4], "num_res_blocks": 2}
#: Wan 2.2 VAE: residual blocks, 2x2 pixel patching, 48 latent channels, 16x spatial.
_VAE_22: dict[str, Any] = {
    "base_dim": 160,
    "decoder_base_dim": 256,
    "z_dim": 48,
    "dim_mult": [1, 2, 4, 4],
    "num_res_blocks": 2,
    "is_residual": True,
    "in_channels": 12,
    "out_channels": 12,
    "patch_size": 2,
    "scale_factor_spatial": 16,
    "scale_factor_temporal": 4,
    "latents_mean": [0.0] * 48,
    "latents_std": [1.0] * 48,
}
#: umt5-xxl encoder (``UMT5EncoderModel``), shared by every Wan checkpoint.
_UMT5_XXL: dict[str, Any] = {
    "vocab_size": 256384,
    "d_model": 4096,
    "d_kv": 64,
    "d_ff": 10240,
    "num_layers": 24,
    "num_heads": 64,
    "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128,
    "feed_forward_proj": "gated-gelu",
}
#: open-clip ViT-H/14 vision tower (``CLIPVisionModel``) of the Wan 2.1 I2V checkpoints: 257 tokens.
_CLIP_VIT_H: dict[str, Any] = {
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_hidden_layers": 32,
    "num_attention_heads": 16,
    "patch_size": 14,
    "image_size": 224,
    "projection_dim": 1024,
    "hidden_act": "gelu",
}

_I2V_21 = {
    "backbone": "wan_i2v",
    "transformer": {**_I2V_14B_TRANSFORMER, "image_dim": 1280, "added_kv_proj_dim": 5120},
    "experts": 1,
    "vae": _VAE_21,
    "text_encoder": _UMT5_XXL,
    "image_encoder": _CLIP_VIT_H,
}

#: name -> {backbone, transformer config, experts (1, or 2 for A14B), vae, text_encoder, image_encoder?}
PUBLISHED: dict[str, dict[str, Any]] = {
    "wan2.1-i2v-14b-480p": _I2V_21,
    "wan2.1-i2v-14b-720p": _I2V_21,
    "wan2.2-i2v-a14b": {
        "backbone": "wan_i2v",
        "transformer": _I2V_14B_TRANSFORMER,
        "experts": 2,
        "vae": _VAE_21,
        "text_encoder": _UMT5_XXL,
    },
    "wan2.2-ti2v-5b": {
        "backbone": "wan_ti2v",
        "transformer": {
            **_I2V_14B_TRANSFORMER,
            "num_attention_heads": 24,
            "in_channels": 48,
            "out_channels": 48,
            "ffn_dim": 14336,
            "num_layers": 30,
        },
        "experts": 1,
        "vae": _VAE_22,
        "text_encoder": _UMT5_XXL,
    },
}
