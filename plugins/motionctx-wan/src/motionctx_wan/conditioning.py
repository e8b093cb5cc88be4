"""Mapping a composite's pixel-level known masks onto Wan's own conditioning.

Wan's causal VAE turns pixel frame 0 into latent frame 0 and each later group of
``temporal_factor`` pixel frames into one latent frame; each latent cell covers a
``spatial_factor``-square of pixels. Three masks are derived from the pixel masks:

* ``i2v_mask`` - the 4-channel latent mask of Wan 2.1/2.2 I2V. Frame 0's mask is repeated
  ``temporal_factor`` times and the frames are grouped by ``temporal_factor``, exactly like the
  stock pipeline, so each of the 4 channels says whether one pixel frame of the group is given.
  Spatially a cell is marked given when ANY of its pixels is given (max-pool): the condition latent
  of that cell carries those pixels.
* ``cell_known`` - a latent cell is known when ALL of its pixels in all of its frames are known
  (min-pool in space and over the frame group): nothing in it is left for the model to make.
* ``token_known`` - ``cell_known`` reduced to the transformer's patches (min-pool over the patch)
  and broadcast back to cells: the unit that Wan 2.2 TI2V can hold clean with timestep 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def _spatial_pool(mask: torch.Tensor, factor: int, mode: str) -> torch.Tensor:
    """``[T, 1, H, W] -> [T, 1, H/f, W/f]`` by max or min pooling."""
    if mode == "max":
        return F.max_pool2d(mask, factor)
    return -F.max_pool2d(-mask, factor)


def i2v_mask(known: torch.Tensor, temporal: int, spatial: int) -> torch.Tensor:
    """The stock 4-channel I2V mask ``[1, temporal, F, h, w]`` from pixel masks ``[T, 1, H, W]``."""
    m = _spatial_pool(known.float(), spatial, "max")[:, 0]  # [T, h, w]
    m = torch.cat([m[:1].repeat(temporal, 1, 1), m[1:]])  # [temporal * F, h, w]
    frames = m.shape[0] // temporal
    return m.view(frames, temporal, *m.shape[1:]).transpose(0, 1).unsqueeze(0)


def cell_known(known: torch.Tensor, temporal: int, spatial: int) -> torch.Tensor:
    """``[1, 1, F, h, w]``: 1 where every pixel of the latent cell (all its frames) is known."""
    m = _spatial_pool(known.float(), spatial, "min")[:, 0]  # [T, h, w]
    first, rest = m[:1], m[1:]
    if rest.shape[0]:
        rest = rest.view(-1, temporal, *rest.shape[1:]).amin(dim=1)
    return torch.cat([first, rest]).unsqueeze(0).unsqueeze(0)


def token_known(cells: torch.Tensor, patch: tuple[int, int, int]) -> torch.Tensor:
    """Reduce ``[1, 1, F, h, w]`` to whole transformer tokens (min over each patch), same shape back."""
    pt, ph, pw = patch
    tok = -F.max_pool3d(-cells, (pt, ph, pw))
    return tok.repeat_interleave(pt, 2).repeat_interleave(ph, 3).repeat_interleave(pw, 4)


@dataclass
class WanCondition:
    """What the transformer is given for one composite (batched along dim 0).

    ``latents``: the normalised VAE latents of the whole composite ``[B, z, F, h, w]`` (float32).
    ``mask``: the 4-channel I2V mask ``[B, 4, F, h, w]``, or None for expand-timesteps models.
    ``known``: latent cells that are given and excluded from the loss ``[B, 1, F, h, w]``.
    ``image_embeds``: CLIP hidden states of the reference (Wan 2.1 I2V) or None.
    ``expand_timesteps``: Wan 2.2 TI2V: known tokens are held clean with per-token timestep 0.
    """

    latents: torch.Tensor
    mask: torch.Tensor | None
    known: torch.Tensor
    image_embeds: torch.Tensor | None
    expand_timesteps: bool
    patch: tuple[int, int, int] = (1, 2, 2)

    @property
    def unknown(self) -> torch.Tensor:
        return 1 - self.known

    def model_input(self, noisy: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Transformer ``hidden_states`` and ``timestep`` for noisy latents at time ``t``.

        ``t`` is a scalar or one value per batch item (timesteps in [0, num_train_timesteps]).
        I2V: channels ``[noise z | mask 4 | condition z]`` and one timestep per item.
        TI2V: known tokens replaced by their clean latents, timestep 0 on them.
        """
        b = noisy.shape[0]
        t = t.reshape(-1) if t.ndim else t.reshape(1)
        if not self.expand_timesteps:
            return torch.cat([noisy, self.mask, self.latents], dim=1), t.expand(b) if t.numel() == 1 else t
        unknown = self.unknown
        hidden = (1 - unknown) * self.latents + unknown * noisy
        pt, ph, pw = self.patch
        per_token = unknown[:, 0, ::pt, ::ph, ::pw]
        if t.numel() == 1 and per_token.shape[0] == 1:
            return hidden, (per_token[0] * t).flatten().unsqueeze(0).expand(b, -1)
        steps = t.expand(b) if t.numel() == 1 else t
        return hidden, (per_token.expand(b, -1, -1, -1) * steps.view(-1, 1, 1, 1)).flatten(1)

    def hold(self, latents: torch.Tensor, noise: torch.Tensor | None = None,
             level: torch.Tensor | None = None) -> torch.Tensor:
        """``latents`` with the known cells set to the condition latents, noised to ``level`` (one
        value per batch item) with ``noise`` when given, as training shows them at that level."""
        from motionctx_wan import flow

        given = self.latents if noise is None or level is None else flow.noisy(self.latents, noise, level)
        return self.known * given + self.unknown * latents

    def finalize(self, latents: torch.Tensor) -> torch.Tensor:
        """Denoised latents with the known tokens restored (TI2V); unchanged for I2V."""
        return self.hold(latents) if self.expand_timesteps else latents

    @classmethod
    def stack(cls, conds: list[WanCondition]) -> WanCondition:
        """Batch conditions of equal shape."""
        first = conds[0]

        def cat(name: str) -> torch.Tensor | None:
            values = [getattr(c, name) for c in conds]
            return None if values[0] is None else torch.cat(values)

        return cls(cat("latents"), cat("mask"), cat("known"), cat("image_embeds"), first.expand_timesteps, first.patch)
