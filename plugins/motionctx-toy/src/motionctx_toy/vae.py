"""A parameter-free video autoencoder for the toy model: pixels packed space-to-depth.

Training a real VAE on 2 CPU cores takes hours for blurry results, so the toy model's "latent" is
the frame itself rearranged: each ``p x p`` pixel block becomes ``3 p^2`` channels. Encoding and
decoding are exact inverses (lossless), there is no temporal compression, and the class exposes
the same interface the ``wan_i2v`` backbone uses for diffusers' ``AutoencoderKLWan`` (config
``z_dim``, ``latents_mean``/``latents_std``, ``scale_factor_spatial``/``scale_factor_temporal``,
``encode(x).latent_dist.mode()``, ``decode(z, return_dict=False)[0]``), so one backbone code path
serves the real model and the toy.
"""

from __future__ import annotations

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


class PackedVideoAutoencoder(ModelMixin, ConfigMixin):
    """Space-to-depth packing of ``[B, 3, T, H, W]`` videos in [-1, 1] into ``[B, 3 p^2, T, H/p, W/p]``."""

    @register_to_config
    def __init__(
        self,
        patch: int = 4,
        latent_std: float = 0.5,
        z_dim: int | None = None,
        latents_mean: list[float] | None = None,
        latents_std: list[float] | None = None,
        scale_factor_spatial: int | None = None,
        scale_factor_temporal: int = 1,
    ) -> None:
        super().__init__()
        z = 3 * patch * patch
        if z_dim not in (None, z) or scale_factor_spatial not in (None, patch) or scale_factor_temporal != 1:
            raise ValueError(f"a packed autoencoder with patch {patch} has z_dim {z}, spatial factor {patch}, temporal 1")
        # the derived values live in the config because that is where Wan code reads them
        self.register_to_config(
            z_dim=z,
            latents_mean=list(latents_mean or [0.0] * z),
            latents_std=list(latents_std or [latent_std] * z),
            scale_factor_spatial=patch,
            scale_factor_temporal=1,
        )
        # a buffer so the model has a dtype/device and a weights file like any diffusers model
        self.register_buffer("identity", torch.ones(1), persistent=True)

    def _frames(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        b, c, t, h, w = x.shape
        return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w), b, t

    def encode(self, x: torch.Tensor, return_dict: bool = True):
        p = self.config.patch
        if x.shape[-1] % p or x.shape[-2] % p:
            raise ValueError(f"frame sides {tuple(x.shape[-2:])} must be multiples of {p}")
        frames, b, t = self._frames(x)
        z = F.pixel_unshuffle(frames, p)
        z = z.reshape(b, t, *z.shape[1:]).permute(0, 2, 1, 3, 4) * self.identity.to(x.dtype)
        out = PackedEncoderOutput(PackedLatents(z))
        return out if return_dict else (out.latent_dist,)

    def decode(self, z: torch.Tensor, return_dict: bool = True):
        frames, b, t = self._frames(z)
        x = F.pixel_shuffle(frames, self.config.patch)
        x = x.reshape(b, t, *x.shape[1:]).permute(0, 2, 1, 3, 4).clamp(-1, 1)
        return PackedDecoderOutput(x) if return_dict else (x,)
