"""A parameter-free video autoencoder for the toy model: 2-D DCT of pixel blocks, low frequencies kept.

Training a real VAE on 2 CPU cores takes hours for blurry results, so the toy model's latent is a
fixed transform: each ``p x p`` pixel block of each colour channel goes through an orthonormal 2-D
DCT and its ``keep`` lowest-frequency coefficients become latent channels (``3 * keep`` of them).
With ``keep = p * p`` the transform is lossless; fewer coefficients keep the latent small enough
for a narrow transformer to predict every channel (a transformer of width ``d`` cannot remove noise
from more than ``d`` output values per token). No temporal compression.

The class exposes what the ``wan_i2v`` backbone uses of diffusers' ``AutoencoderKLWan`` (config
``z_dim``, ``latents_mean``/``latents_std``, ``scale_factor_spatial``/``scale_factor_temporal``,
``encode(x).latent_dist.mode()``, ``decode(z, return_dict=False)[0]``), so one backbone code path
serves the real model and the toy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin


@dataclass
class PackedLatents:
    """Stands in for a diagonal Gaussian with zero variance: ``mode()`` and ``sample()`` agree."""

    latents: torch.Tensor

    def mode(self) -> torch.Tensor:
        return self.latents

    def sample(self, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.latents


@dataclass
class PackedEncoderOutput:
    latent_dist: PackedLatents


@dataclass
class PackedDecoderOutput:
    sample: torch.Tensor


def dct_basis(p: int, keep: int) -> torch.Tensor:
    """``[keep, p*p]`` orthonormal 2-D DCT-II basis rows, lowest frequencies (by u + v, then u) first."""
    n = torch.arange(p, dtype=torch.float64)
    one_d = torch.stack([torch.cos(math.pi * (n + 0.5) * k / p) * math.sqrt((1 if k == 0 else 2) / p) for k in range(p)])
    order = sorted(((u, v) for u in range(p) for v in range(p)), key=lambda uv: (uv[0] + uv[1], uv[0]))[:keep]
    return torch.stack([torch.outer(one_d[u], one_d[v]).flatten() for u, v in order]).float()


class PackedVideoAutoencoder(ModelMixin, ConfigMixin):
    """``[B, 3, T, H, W]`` in [-1, 1] <-> ``[B, 3 * keep, T, H / p, W / p]`` by blockwise 2-D DCT."""

    @register_to_config
    def __init__(
        self,
        patch: int = 4,
        keep: int | None = None,
        latent_std: float | list[float] = 0.5,
        z_dim: int | None = None,
        latents_mean: list[float] | None = None,
        latents_std: list[float] | None = None,
        scale_factor_spatial: int | None = None,
        scale_factor_temporal: int = 1,
    ) -> None:
        super().__init__()
        keep = keep or patch * patch
        if not 1 <= keep <= patch * patch:
            raise ValueError(f"keep must lie in 1..{patch * patch}, got {keep}")
        z = 3 * keep
        if z_dim not in (None, z) or scale_factor_spatial not in (None, patch) or scale_factor_temporal != 1:
            raise ValueError(f"a packed autoencoder with patch {patch}, keep {keep} has z_dim {z}, spatial factor {patch}, temporal 1")
        stds = latents_std or (list(latent_std) if isinstance(latent_std, list) else [latent_std] * z)
        # the derived values live in the config because that is where Wan code reads them
        self.register_to_config(
            keep=keep,
            z_dim=z,
            latents_mean=list(latents_mean or [0.0] * z),
            latents_std=list(stds),
            scale_factor_spatial=patch,
            scale_factor_temporal=1,
        )
        self.register_buffer("basis", dct_basis(patch, keep), persistent=True)

    def _frames(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        b, c, t, h, w = x.shape
        return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w), b, t

    def encode(self, x: torch.Tensor, return_dict: bool = True):
        p, k = self.config.patch, self.config.keep
        if x.shape[-1] % p or x.shape[-2] % p:
            raise ValueError(f"frame sides {tuple(x.shape[-2:])} must be multiples of {p}")
        frames, b, t = self._frames(x)
        blocks = F.pixel_unshuffle(frames, p)  # [N, 3 * p * p, h, w], channel-major
        n, _, h, w = blocks.shape
        coeffs = torch.einsum("kq,ncqhw->nckhw", self.basis.to(x.dtype), blocks.view(n, 3, p * p, h, w))
        z = coeffs.reshape(b, t, 3 * k, h, w).permute(0, 2, 1, 3, 4)
        out = PackedEncoderOutput(PackedLatents(z))
        return out if return_dict else (out.latent_dist,)

    def decode(self, z: torch.Tensor, return_dict: bool = True):
        p, k = self.config.patch, self.config.keep
        frames, b, t = self._frames(z)
        n, _, h, w = frames.shape
        blocks = torch.einsum("kq,nckhw->ncqhw", self.basis.to(z.dtype), frames.view(n, 3, k, h, w))
        x = F.pixel_shuffle(blocks.reshape(n, 3 * p * p, h, w), p)
        x = x.reshape(b, t, *x.shape[1:]).permute(0, 2, 1, 3, 4).clamp(-1, 1)
        return PackedDecoderOutput(x) if return_dict else (x,)
