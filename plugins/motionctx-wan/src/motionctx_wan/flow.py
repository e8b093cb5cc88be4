"""Flow-matching training pieces: noise levels, the noisy input and the masked velocity loss.

Conventions (Wan / rectified flow): ``x_s = (1 - s) * x0 + s * noise`` for a noise level ``s`` in
[0, 1], the model predicts the velocity ``noise - x0``, and is told the timestep ``1000 * s``.
"""

from __future__ import annotations

import torch


def sample_levels(
    n: int,
    *,
    mode: str,
    shift: float,
    logit_mean: float = 0.0,
    logit_std: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """``n`` noise levels in (0, 1) on the CPU.

    ``mode``: ``uniform`` (u ~ U(0, 1)) or ``logit_normal`` (u = sigmoid(N(mean, std))); then the
    flow shift of the sampling schedule is applied: ``s = shift * u / (1 + (shift - 1) * u)``.
    """
    if mode == "uniform":
        u = torch.rand(n, generator=generator)
    elif mode == "logit_normal":
        u = torch.sigmoid(torch.randn(n, generator=generator) * logit_std + logit_mean)
    else:
        raise ValueError(f"unknown timestep sampling {mode!r}")
    return shift * u / (1 + (shift - 1) * u)


def noisy(x0: torch.Tensor, noise: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """``(1 - s) x0 + s noise`` with one level per batch item."""
    s = levels.view(-1, *([1] * (x0.ndim - 1))).to(x0)
    return (1 - s) * x0 + s * noise


def masked_error(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed squared error where ``weight`` (broadcast over channels) is 1, and the element count.

    Divide the two (summed over batch parts) for the masked mean squared error.
    """
    w = weight.to(torch.float32).expand(pred.shape)
    err = (pred.float() - target.float()).pow(2) * w
    return err.sum(), w.sum()


def moving_weight(latents: torch.Tensor, extra: float, contrast: float = 2.0) -> torch.Tensor:
    """Per-cell loss weights ``[B, 1, T, H, W]`` for clean latents ``[B, C, T, H, W]``: 1, or
    ``1 + extra`` where a cell moves, i.e. its squared distance from the clip's temporal median
    exceeds ``contrast`` times the clip's mean distance. On a still background with a moving body
    that picks out the body (where it is and where it was); nothing moves in a clip of one frame."""
    import torch

    med = latents.median(dim=2, keepdim=True).values
    dist = (latents.float() - med.float()).pow(2).mean(dim=1, keepdim=True)
    mean = dist.mean(dim=(2, 3, 4), keepdim=True)
    moving = (dist > contrast * mean) & (mean > 0)
    return torch.where(moving, torch.full_like(dist, 1.0 + extra), torch.ones_like(dist))


#: Noise levels are floored at this value before the clean-sample parametrisation divides by them.
MIN_LEVEL = 1e-3


def velocity_from_sample(
    pred: torch.Tensor, noisy_latents: torch.Tensor, levels: torch.Tensor, floor: float = MIN_LEVEL
) -> torch.Tensor:
    """The velocity implied by a clean-sample prediction ``pred`` at noise level(s) ``levels``:
    ``(x_s - pred) / max(s, floor)``.

    Models that output the clean latents (scheduler ``prediction_type: sample``) go through this, so
    the loss and the samplers see velocities as for the real Wan checkpoints. Predicting the clean
    sample suits narrow models whose tokens carry many values: they need not pass the noise through.
    In training, a larger ``floor`` caps the weight ``1 / s**2`` that the velocity loss puts on the
    clean-sample error at low noise.
    """
    s = levels.reshape(-1, *([1] * (pred.ndim - 1))).to(pred).clamp_min(floor)
    return (noisy_latents.to(pred) - pred) / s
