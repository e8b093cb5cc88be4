"""Tiny random Wan pipelines written as complete diffusers-format folders, for tests and demos.

``build_tiny_wan(folder)`` builds every component under a fixed seed (a random-init
``WanTransformer3DModel``, ``AutoencoderKLWan``, ``UMT5EncoderModel``, a character-level fast
tokenizer made offline with the ``tokenizers`` library, a UniPC flow scheduler and, for the Wan 2.1
style ``i2v`` variant, a CLIP vision encoder with its processor) and saves them the way the real
checkpoints on the hub are laid out. Nothing is downloaded. It takes a second or two on a CPU.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Literal

import torch

Variant = Literal["i2v", "i2v_moe", "ti2v"]

#: Default sizes; override any of them through ``build_tiny_wan(..., **sizes)``.
DEFAULT_SIZES: dict[str, Any] = {
    "num_layers": 2,
    "num_attention_heads": 2,
    "attention_head_dim": 12,
    "ffn_dim": 32,
    "freq_dim": 32,
    "text_dim": 32,
    "text_layers": 2,
    "image_dim": 16,
    "image_size": 32,
    "vae_base_dim": 3,
    "flow_shift": 3.0,
    "boundary_ratio": 0.875,
}


def _tokenizer() -> Any:
    """A character-level fast tokenizer (``</s>`` appended, ``<pad>`` = 0) built without any download."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for ch in string.ascii_letters + string.digits + string.punctuation:
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )


def _text_encoder(vocab_size: int, s: dict[str, Any]) -> Any:
    from transformers import UMT5Config, UMT5EncoderModel

    cfg = UMT5Config(
        vocab_size=vocab_size,
        d_model=s["text_dim"],
        d_kv=8,
        d_ff=s["text_dim"],
        num_layers=s["text_layers"],
        num_heads=4,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=32,
        feed_forward_proj="gated-gelu",
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return UMT5EncoderModel(cfg).eval()


def _vae(variant: Variant, s: dict[str, Any]) -> Any:
    from diffusers import AutoencoderKLWan

    common = {"base_dim": s["vae_base_dim"], "dim_mult": [1, 1, 1, 1], "num_res_blocks": 1}
    if variant == "ti2v":
        # Wan 2.2 VAE: residual blocks, 2x2 pixel patching inside, 48 latent channels, 16x spatial.
        return AutoencoderKLWan(
            **common,
            z_dim=48,
            in_channels=12,
            out_channels=12,
            is_residual=True,
            patch_size=2,
            latents_mean=[0.0] * 48,
            latents_std=[1.0] * 48,
            scale_factor_spatial=16,
            scale_factor_temporal=4,
            temperal_downsample=[False, True, True],
        ).eval()
    return AutoencoderKLWan(**common, z_dim=16, temperal_downsample=[False, True, True]).eval()


def _transformer(variant: Variant, s: dict[str, Any]) -> Any:
    from diffusers import WanTransformer3DModel

    inner = s["num_attention_heads"] * s["attention_head_dim"]
    in_ch, out_ch = {"ti2v": (48, 48)}.get(variant, (36, 16))
    with_image = variant == "i2v"
    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=s["num_attention_heads"],
        attention_head_dim=s["attention_head_dim"],
        in_channels=in_ch,
        out_channels=out_ch,
        text_dim=s["text_dim"],
        freq_dim=s["freq_dim"],
        ffn_dim=s["ffn_dim"],
        num_layers=s["num_layers"],
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        image_dim=s["image_dim"] if with_image else None,
        added_kv_proj_dim=inner if with_image else None,
        rope_max_seq_len=32,
    ).eval()


def _clip(s: dict[str, Any]) -> tuple[Any, Any]:
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    cfg = CLIPVisionConfig(
        hidden_size=s["image_dim"],
        intermediate_size=2 * s["image_dim"],
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=s["image_size"],
        patch_size=8,
        projection_dim=s["image_dim"],
    )
    processor = CLIPImageProcessor(
        size={"shortest_edge": s["image_size"]},
        crop_size={"height": s["image_size"], "width": s["image_size"]},
    )
    return CLIPVisionModel(cfg).eval(), processor


def build_tiny_wan(folder: str | Path, variant: Variant = "i2v", seed: int = 0, **sizes: Any) -> Path:
    """Write a complete tiny diffusers-format Wan pipeline to ``folder`` and return its path.

    ``variant``: ``"i2v"`` (Wan 2.1 I2V layout: 36 input channels, CLIP image encoder,
    ``image_dim``), ``"i2v_moe"`` (Wan 2.2 I2V-A14B layout: two experts ``transformer`` and
    ``transformer_2`` switched at ``boundary_ratio``, no image encoder) or ``"ti2v"`` (Wan 2.2
    TI2V-5B layout: 48-channel 16x VAE, ``expand_timesteps``, saved as a ``WanPipeline`` folder
    like the real checkpoint). ``sizes`` overrides :data:`DEFAULT_SIZES`.
    """
    from diffusers import UniPCMultistepScheduler, WanImageToVideoPipeline, WanPipeline

    if variant not in ("i2v", "i2v_moe", "ti2v"):
        raise ValueError(f"variant must be 'i2v', 'i2v_moe' or 'ti2v', got {variant!r}")
    unknown = set(sizes) - set(DEFAULT_SIZES)
    if unknown:
        raise ValueError(f"unknown sizes {sorted(unknown)}; known: {sorted(DEFAULT_SIZES)}")
    s = {**DEFAULT_SIZES, **sizes}
    folder = Path(folder)

    tokenizer = _tokenizer()
    torch.manual_seed(seed)
    text_encoder = _text_encoder(len(tokenizer), s)
    torch.manual_seed(seed + 1)
    vae = _vae(variant, s)
    torch.manual_seed(seed + 2)
    transformer = _transformer(variant, s)
    scheduler = UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=s["flow_shift"], num_train_timesteps=1000
    )
    common = {"tokenizer": tokenizer, "text_encoder": text_encoder, "vae": vae, "scheduler": scheduler}
    if variant == "ti2v":
        pipe = WanPipeline(**common, transformer=transformer, transformer_2=None, expand_timesteps=True)
    elif variant == "i2v_moe":
        torch.manual_seed(seed + 3)
        transformer_2 = _transformer(variant, s)
        pipe = WanImageToVideoPipeline(
            **common, transformer=transformer, transformer_2=transformer_2, boundary_ratio=s["boundary_ratio"]
        )
    else:
        torch.manual_seed(seed + 4)
        image_encoder, image_processor = _clip(s)
        pipe = WanImageToVideoPipeline(
            **common, transformer=transformer, image_encoder=image_encoder, image_processor=image_processor
        )
    pipe.save_pretrained(folder, safe_serialization=True)
    _portable_tokenizer_name(folder)
    return folder


def _portable_tokenizer_name(folder: Path) -> None:
    """Name the tokenizer class ``PreTrainedTokenizerFast``, which transformers 4 and 5 both know."""
    import json

    for file, key, value in (
        (folder / "model_index.json", "tokenizer", ["transformers", "PreTrainedTokenizerFast"]),
        (folder / "tokenizer" / "tokenizer_config.json", "tokenizer_class", "PreTrainedTokenizerFast"),
    ):
        data = json.loads(file.read_text(encoding="utf-8"))
        data[key] = value
        file.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
