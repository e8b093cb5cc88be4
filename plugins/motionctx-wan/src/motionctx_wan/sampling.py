"""The Wan denoising loop: flow-matching steps with classifier-free guidance over a condition.

It follows diffusers' ``WanImageToVideoPipeline.__call__`` step for step (same noise, same
scheduler calls, same cache contexts), so with the ``first_frame`` composer the result is the stock
pipeline's. What it adds: the whole composite as condition, Wan 2.2 A14B's two experts with their
own guidance, ``hold_known``, sample-predicting models, and ``batch_cfg`` (the conditional and
unconditional passes as one batch of 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from motionctx_wan.backbone import WanBackbone
    from motionctx_wan.conditioning import WanCondition


@dataclass
class Guidance:
    """Text embeddings and guidance scales of one sampling call.

    ``negative`` is None when guidance is off; ``scale_low`` is the low-noise expert's scale (Wan
    2.2 A14B); ``batched`` runs both passes as one forward of batch 2.
    """

    text: torch.Tensor
    negative: torch.Tensor | None
    scale: float
    scale_low: float
    batched: bool = False


def _forward(model: Any, hidden: Any, ts: Any, text: Any, image: Any, context: str) -> Any:
    with model.cache_context(context):
        return model(
            hidden_states=hidden, timestep=ts, encoder_hidden_states=text, encoder_hidden_states_image=image,
            return_dict=False,
        )[0]


def guided_prediction(model: Any, hidden: Any, ts: Any, image: Any, g: Guidance, scale: float) -> Any:
    """The model's prediction for ``hidden``, guided by ``g`` at ``scale``: two passes, or one
    batch of 2 when ``g.batched`` (context ``"cfg"`` for the cache hooks)."""
    import torch

    if g.negative is None:
        return _forward(model, hidden, ts, g.text, image, "cond")
    if g.batched:
        both = _forward(
            model, torch.cat([hidden, hidden]), torch.cat([ts, ts]), torch.cat([g.text, g.negative]),
            None if image is None else torch.cat([image, image]), "cfg",
        )
        cond, uncond = both.chunk(2)
    else:
        cond = _forward(model, hidden, ts, g.text, image, "cond")
        uncond = _forward(model, hidden, ts, g.negative, image, "uncond")
    return uncond + scale * (cond - uncond)


def denoise(
    bb: WanBackbone,
    cond: WanCondition,
    guidance: Guidance,
    *,
    steps: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Denoised latents (before :meth:`WanCondition.finalize`) for ``cond``; the noise comes from a
    CPU generator seeded with ``seed``."""
    import torch
    from diffusers.utils.torch_utils import randn_tensor

    from motionctx_wan import flow

    device = bb.device
    scheduler = bb.make_scheduler()
    scheduler.set_timesteps(steps, device=device)
    generator = torch.Generator("cpu").manual_seed(int(seed))
    latents = randn_tensor(tuple(cond.latents.shape), generator=generator, device=device, dtype=torch.float32)
    dtype = bb.main_transformer(bb.pipe).dtype  # read once: ModelMixin.dtype walks every module
    train_steps = int(scheduler.config.num_train_timesteps)
    boundary = bb.boundary()
    hold = bb.config.hold_known and not cond.expand_timesteps  # TI2V holds given tokens itself
    first_noise = latents.clone() if hold else None
    timesteps = scheduler.timesteps
    for i, t in enumerate(timesteps):
        if hold:
            latents = cond.hold(latents, first_noise, t.float().reshape(1) / train_steps)
        model, low = bb._expert(t, boundary)
        hidden, ts = cond.model_input(latents, t)
        scale = guidance.scale_low if low else guidance.scale
        pred = guided_prediction(model, hidden.to(dtype), ts, cond.image_embeds, guidance, scale)
        if bb.predicts_sample:
            pred = flow.velocity_from_sample(pred.float(), latents, t.float().reshape(1) / train_steps)
        latents = scheduler.step(pred, t, latents, return_dict=False)[0]
        if progress is not None:
            progress(i + 1, len(timesteps))
    return cond.hold(latents) if hold else latents
