"""Faster sampling on the Wan transformers: diffusers' step caches and ``torch.compile``.

Both are recipe options of the Wan backbones (:class:`SpeedConfig`), off by default:

* ``cache: first_block`` - diffusers' First Block Cache: every step runs the first transformer
  block; when its residual changed by less than ``cache_threshold`` (relative mean absolute
  change) since the last full step, the other blocks' residual of that step is reused.
* ``cache: taylorseer`` - diffusers' TaylorSeer cache in its lite form: one full forward every
  ``cache_interval`` steps (after ``cache_warmup`` full ones); the steps between extrapolate the
  transformer's output from the last full ones (first-order Taylor). The full TaylorSeer mode
  hooks no Wan module in diffusers 0.42 (its patterns end at ``attn``; Wan's are ``attn1/attn2``).
* ``compile: blocks`` - ``torch.compile`` of each repeated transformer block (regional
  compilation, diffusers' ``compile_repeated_blocks``); the first call compiles.

The cache hooks go on at the first sampling call and stay on (compiled blocks would otherwise be
recompiled each call); their state is cleared after every call, and training removes them.
Batched classifier-free guidance (``batch_cfg``) lives in the sampling loop
(:mod:`motionctx_wan.sampling`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from motionctx.parts import PartConfig

Cache = Literal["none", "first_block", "taylorseer"]


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
    compile: Literal["none", "blocks"] = Field(
        "none", description="torch.compile the transformer blocks (the first sample compiles; helps most on a GPU)"
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
    """``torch.compile`` each repeated block of every model, when ``cfg.compile == "blocks"``."""
    if cfg.compile == "blocks":
        for model in models:
            model.compile_repeated_blocks(fullgraph=cfg.cache == "none")


def describe(cfg: SpeedConfig) -> dict[str, Any]:
    """What is on, for ``run.json``: ``{"cache": ..., (its settings), "batch_cfg": ..., "compile": ...}``."""
    out: dict[str, Any] = {"cache": cfg.cache}
    if cfg.cache == "first_block":
        out["cache_threshold"] = cfg.cache_threshold
    elif cfg.cache == "taylorseer":
        out.update(cache_interval=cfg.cache_interval, cache_warmup=cfg.cache_warmup)
    out.update(batch_cfg=cfg.batch_cfg, compile=cfg.compile)
    return out
