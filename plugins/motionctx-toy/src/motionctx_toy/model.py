"""The toy model's starting point: a tiny Wan-architecture pipeline folder, randomly initialised.

It is the same diffusers layout as the real Wan 2.1 image-to-video checkpoints (``model_index.json``,
``transformer/``, ``vae/``, ``text_encoder/``, ``tokenizer/``, ``scheduler/``) so the ``wan_i2v``
backbone loads it unchanged; only the VAE is our parameter-free packing autoencoder and there is
no CLIP image encoder (``image_dim`` is null, like Wan 2.2's image-to-video models).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Standard deviations of the 8 kept DCT coefficients per colour channel (DC first), measured on
#: 100 toy training clips at 48x48; they normalise the latents to about unit variance.
DCT_STDS = [2.05, 0.42, 0.40, 0.26, 0.20, 0.24, 0.19, 0.15]

#: Sizes of the bundled toy model. Output values per token (3 * keep * 2 * 2 = 96) must stay below
#: the transformer width (128), or noise in the remaining directions can never be removed.
TOY_SIZES: dict[str, Any] = {
    "patch": 4,  # 4x4 pixel blocks
    "keep": 8,  # lowest DCT coefficients kept per block and colour: 24 latent channels
    "num_layers": 4,
    "num_attention_heads": 4,
    "attention_head_dim": 32,
    "ffn_dim": 512,
    "freq_dim": 64,
    "text_dim": 32,
    "text_layers": 2,
    "flow_shift": 1.0,  # 48 px frames: a larger shift leaves the low-noise end (fine detail) untrained
    # one scale for every DCT coefficient, so the loss weighs frequencies as pixel-space error does
    # and coarse layout dominates fine texture; None scales each coefficient to unit variance
    # (DCT_STDS), which left the body's position 1/8 of the loss: image-to-video samples lost the character
    "latent_std": 2.0,
}


def build_toy_model(folder: str | Path, seed: int = 0, **sizes: Any) -> Path:
    """Write the randomly initialised toy pipeline to ``folder`` (atomically: a temporary folder
    renamed into place) and return its path."""
    import torch
    from diffusers import UniPCMultistepScheduler, WanImageToVideoPipeline, WanTransformer3DModel

    from motionctx.io import atomic_dir
    from motionctx_toy.vae import PackedVideoAutoencoder
    from motionctx_wan.tiny import _text_encoder, _tokenizer

    unknown = set(sizes) - set(TOY_SIZES)
    if unknown:
        raise ValueError(f"unknown sizes {sorted(unknown)}; known: {sorted(TOY_SIZES)}")
    s = {**TOY_SIZES, **sizes}
    folder = Path(folder)
    keep = s["keep"]
    per_coefficient = DCT_STDS * 3 if keep == len(DCT_STDS) else None
    std = s["latent_std"]  # the autoencoder spreads one number over every channel
    vae = PackedVideoAutoencoder(patch=s["patch"], keep=keep, latent_std=float(std or 0.5),
                                 latents_std=None if std is not None else per_coefficient)
    z = vae.config.z_dim
    tokenizer = _tokenizer()
    torch.manual_seed(seed)
    text_encoder = _text_encoder(len(tokenizer), s)
    torch.manual_seed(seed + 1)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=s["num_attention_heads"],
        attention_head_dim=s["attention_head_dim"],
        in_channels=2 * z + 1,  # noise | 1 mask channel (temporal factor 1) | condition
        out_channels=z,
        text_dim=s["text_dim"],
        freq_dim=s["freq_dim"],
        ffn_dim=s["ffn_dim"],
        num_layers=s["num_layers"],
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        image_dim=None,
        rope_max_seq_len=256,
    )
    # the transformer predicts clean latents (see motionctx_wan.flow.velocity_from_sample): each token
    # carries 96 values in a 128-wide model, too many to also pass the noise through
    scheduler = UniPCMultistepScheduler(
        prediction_type="sample", use_flow_sigmas=True, flow_shift=s["flow_shift"], num_train_timesteps=1000
    )
    pipe = WanImageToVideoPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler,
        image_encoder=None, image_processor=None,
    )
    with atomic_dir(folder) as tmp:
        pipe.save_pretrained(tmp, safe_serialization=True)
    return folder
