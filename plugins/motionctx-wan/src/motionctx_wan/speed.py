"""Faster sampling on the Wan transformers: diffusers' step caches, ``torch.compile``, and
cross-attention over the prompt without most of its padding.

All are recipe options of the Wan backbones (:class:`SpeedConfig`), off by default:

* ``cache: first_block`` - diffusers' First Block Cache: every step runs the first transformer
  block; when its residual changed by less than ``cache_threshold`` (relative mean absolute
  change) since the last full step, the other blocks' residual of that step is reused.
* ``cache: taylorseer`` - diffusers' TaylorSeer cache in its lite form: one full forward every
  ``cache_interval`` steps (after ``cache_warmup`` full ones); the steps between extrapolate the
  transformer's output from the last full ones (first-order Taylor). The full TaylorSeer mode
  hooks no Wan module in diffusers 0.42 (its patterns end at ``attn``; Wan's are ``attn1/attn2``).
* ``compile: blocks`` - ``torch.compile`` of each repeated transformer block (regional
  compilation, diffusers' ``compile_repeated_blocks``); the first call compiles.
* ``compile: full`` - ``torch.compile`` of each transformer's whole forward (embedders, blocks
  and output head in one graph, ``fullgraph`` unless a cache or offload hook sits in it), called
  by sampling only (training runs the eager modules), and of the VAE's encoder and decoder in
  place, from the first sample on (that sample encodes its condition eagerly). The first call
  compiles (a minute or more on a CPU); a new shape compiles again.
* ``collapse_padding`` - Wan pads every prompt's embeddings with zero rows to
  ``max_sequence_length`` (512) tokens, and the cross-attentions attend to all of them. Identical
  rows give identical keys and values, so attending to ``P`` of them is attending to one with
  ``log P`` added to its score: :func:`collapse_padding` keeps the prompt's tokens and a few
  padding rows (up to a multiple of :data:`PADDING_MULTIPLE` tokens), and
  :class:`PaddedTextAttention` adds the log-count bias. The result is the same up to float
  rounding (the bias is rounded to the model's dtype).

The cache hooks go on at the first sampling call and stay on (compiled blocks would otherwise be
recompiled each call); their state is cleared after every call, and training removes them.
Batched classifier-free guidance (``batch_cfg``) lives in the sampling loop
(:mod:`motionctx_wan.sampling`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from motionctx.parts import PartConfig

if TYPE_CHECKING:
    import torch

Cache = Literal["none", "first_block", "taylorseer"]
#: collapse_padding keeps the prompt and padding rows up to a multiple of this many tokens, so
#: that prompts of similar lengths share a compiled graph
PADDING_MULTIPLE = 32


#: which speed parameter belongs to which cache
_CACHE_PARAMS = {"cache_threshold": "first_block", "cache_interval": "taylorseer", "cache_warmup": "taylorseer"}


class SpeedConfig(PartConfig):
    """Recipe parameters of the speed options (the Wan backbones' Config extends it)."""

    cache: Cache = Field(
        "none", description="step caching with diffusers' hooks: none, first_block (First Block Cache) or "
        "taylorseer (TaylorSeer lite: extrapolate the output between full steps)"
    )
    cache_threshold: float = Field(
        0.1, gt=0, le=1, description="cache: first_block: reuse the other blocks while the first block's residual "
        "changed by less than this (relative mean absolute change); larger = faster, less exact"
    )
    cache_interval: int = Field(
        3, ge=2, description="cache: taylorseer: one full forward every this many steps, extrapolated between"
    )
    cache_warmup: int = Field(3, ge=1, description="cache: taylorseer: steps always computed in full at the start")
    batch_cfg: bool = Field(
        False, description="classifier-free guidance in one forward pass of batch 2 (the same result; twice the "
        "activation memory of one pass)"
    )
    compile: Literal["none", "blocks", "full"] = Field(
        "none", description="torch.compile: 'blocks' each transformer block; 'full' each transformer's whole forward "
        "(sampling only) and the VAE's encoder and decoder (the first sample compiles)"
    )
    collapse_padding: bool = Field(
        False, description="sampling: the cross-attentions see the prompt's tokens and a few zero-padding rows "
        "standing for all of them (log-count bias): the same result, less work than 512 text tokens"
    )

    @model_validator(mode="after")
    def _settings_match_cache(self) -> SpeedConfig:
        for name, cache in _CACHE_PARAMS.items():
            if name in self.model_fields_set and self.cache != cache:
                raise ValueError(f"{name} is a setting of cache: {cache}, but cache is {self.cache!r}")
        return self


def cache_config(cfg: SpeedConfig) -> Any | None:
    """The diffusers cache configuration that ``cfg`` asks for, or None."""
    import torch
    from diffusers.hooks import FirstBlockCacheConfig, TaylorSeerCacheConfig

    if cfg.cache == "first_block":
        return FirstBlockCacheConfig(threshold=cfg.cache_threshold)
    if cfg.cache == "taylorseer":
        return TaylorSeerCacheConfig(
            cache_interval=cfg.cache_interval, disable_cache_before_step=cfg.cache_warmup, use_lite_mode=True,
            taylor_factors_dtype=torch.float32,
        )
    return None


def install_cache(models: list[Any], cfg: SpeedConfig) -> None:
    """Put the configured cache hooks on every model that has none yet."""
    if cfg.cache == "none":
        return
    for model in models:
        if not model.is_cache_enabled:
            model.enable_cache(cache_config(cfg))


def reset_cache(models: list[Any]) -> None:
    """Forget what the cache hooks saw (the next call starts a new trajectory)."""
    for model in models:
        if getattr(model, "is_cache_enabled", False):
            model._reset_stateful_cache()


def remove_cache(models: list[Any]) -> None:
    """Take the cache hooks off (training must run every block)."""
    for model in models:
        if getattr(model, "is_cache_enabled", False):
            model.disable_cache()


def compile_blocks(models: list[Any], cfg: SpeedConfig) -> None:
    """``torch.compile`` each repeated block of every model (``compile: blocks``), or each model's
    whole forward for sampling (``compile: full``, :func:`compile_full`)."""
    if cfg.compile == "blocks":
        for model in models:
            model.compile_repeated_blocks(fullgraph=cfg.cache == "none")
    elif cfg.compile == "full":
        compile_full(models, cfg)


def compile_full(models: list[Any], cfg: SpeedConfig) -> None:
    """``torch.compile`` each model's whole forward for sampling (:func:`runner` returns it; the
    module itself stays eager, for training). Nothing compiles before the first call."""
    import torch

    fullgraph = cfg.cache == "none" and getattr(cfg, "offload", "none") == "none"  # hooks break the graph
    for model in models:
        # in the instance dict, not registered as a submodule: no second path in named_modules or state_dict
        object.__setattr__(model, "_motionctx_compiled", torch.compile(model, fullgraph=fullgraph))


def runner(model: Any) -> Any:
    """What sampling calls for ``model``: its compiled forward (``compile: full``) or itself."""
    compiled = model.__dict__.get("_motionctx_compiled")
    return model if compiled is None else compiled


def compile_vae(vae: Any) -> None:
    """``compile: full``: compile the VAE's encoder and decoder in place (once)."""
    for part in ("encoder", "decoder"):
        module = getattr(vae, part, None)
        if module is not None and getattr(module, "_compiled_call_impl", None) is None:
            module.compile()


class PaddedTextAttention:
    """Wan's cross-attention processor, with the log-count bias of :func:`collapse_padding`.

    While :attr:`bias` (``[B, 1, 1, K]``) is set, the text part of ``encoder_hidden_states`` is its
    last ``K`` tokens (Wan 2.1 I2V puts the CLIP image tokens first) and the text attention adds
    the bias to the scores; otherwise the call goes to diffusers' own processor unchanged."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.bias: torch.Tensor | None = None

    def __call__(
        self,
        attn: Any,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        rotary_emb: Any = None,
    ) -> torch.Tensor:
        bias = self.bias
        if bias is None or encoder_hidden_states is None or attention_mask is not None:
            return self.inner(attn, hidden_states, encoder_hidden_states, attention_mask, rotary_emb)
        from diffusers.models.attention_dispatch import dispatch_attention_fn

        backend = getattr(self.inner, "_attention_backend", None)
        query = attn.norm_q(attn.to_q(hidden_states)).unflatten(2, (attn.heads, -1))

        def attend(key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            heads = (attn.heads, -1)
            out = dispatch_attention_fn(
                query, key.unflatten(2, heads), value.unflatten(2, heads), attn_mask=mask, dropout_p=0.0,
                is_causal=False, backend=backend, parallel_config=None,
            )  # fmt: skip
            return out.flatten(2, 3).type_as(query)

        split = encoder_hidden_states.shape[1] - bias.shape[-1]
        text = encoder_hidden_states[:, split:]
        out = attend(attn.norm_k(attn.to_k(text)), attn.to_v(text), bias)
        if attn.add_k_proj is not None:  # Wan 2.1 I2V: the image tokens, attended to separately
            image = encoder_hidden_states[:, :split]
            out = out + attend(attn.norm_added_k(attn.add_k_proj(image)), attn.add_v_proj(image), None)
        return attn.to_out[1](attn.to_out[0](out))


def install_padding(models: list[Any]) -> None:
    """Put :class:`PaddedTextAttention` on every cross-attention of every model (once)."""
    for model in models:
        for block in model.blocks:
            attn = block.attn2
            if not isinstance(attn.processor, PaddedTextAttention):
                attn.set_processor(PaddedTextAttention(attn.processor))


@contextmanager
def padding_bias(model: Any, bias: torch.Tensor | None) -> Iterator[None]:
    """Within the block, ``model``'s cross-attentions add ``bias`` (None: diffusers' attention)."""
    if bias is None:
        yield
        return
    processors = [b.attn2.processor for b in model.blocks if isinstance(b.attn2.processor, PaddedTextAttention)]
    if len(processors) != len(model.blocks):
        raise RuntimeError("collapsed text needs PaddedTextAttention on every cross-attention (install_padding)")
    for p in processors:
        p.bias = bias
    try:
        yield
    finally:
        for p in processors:
            p.bias = None


def collapse_padding(
    texts: list[torch.Tensor], multiple: int = PADDING_MULTIPLE
) -> tuple[list[torch.Tensor], list[torch.Tensor]] | None:
    """Shorten zero-padded text embeddings ``[B, N, C]`` to one common length ``K``: the longest
    prompt plus at least one padding row, rounded up to ``multiple``; and the biases
    ``[B, 1, 1, K]`` that make each remaining padding row count for ``(N - L) / (K - L)`` of them
    (``L``: the prompt's length). None when nothing can be dropped (a prompt fills ``N``)."""
    import torch

    n = int(texts[0].shape[1])
    lengths = []
    for text in texts:
        used = (text != 0).any(dim=-1)  # [B, N]: a zero row is padding
        last = torch.where(used, torch.arange(1, n + 1, device=text.device), 0).amax(dim=1)
        lengths.append([int(v) for v in last])
    k = min(n, math.ceil((max(max(ls) for ls in lengths) + 1) / multiple) * multiple)
    if k >= n:
        return None
    biases = []
    for text, ls in zip(texts, lengths):
        bias = torch.zeros(len(ls), 1, 1, k, dtype=text.dtype, device=text.device)
        for row, length in enumerate(ls):
            bias[row, ..., length:] = math.log((n - length) / (k - length))
        biases.append(bias)
    return [t[:, :k] for t in texts], biases


def describe(cfg: SpeedConfig) -> dict[str, Any]:
    """What is on, for ``run.json``: ``{"cache": ..., (its settings), "batch_cfg": ..., "compile": ...,
    "collapse_padding": ...}``."""
    out: dict[str, Any] = {"cache": cfg.cache}
    if cfg.cache == "first_block":
        out["cache_threshold"] = cfg.cache_threshold
    elif cfg.cache == "taylorseer":
        out.update(cache_interval=cfg.cache_interval, cache_warmup=cfg.cache_warmup)
    out.update(batch_cfg=cfg.batch_cfg, compile=cfg.compile, collapse_padding=cfg.collapse_padding)
    return out
