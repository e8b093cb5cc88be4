"""The Wan denoising loop: flow-matching steps with classifier-free guidance over a condition.

It follows diffusers' ``WanImageToVideoPipeline.__call__`` step for step (same noise, same
scheduler calls, same cache contexts), so with the ``first_frame`` composer the result is the stock
pipeline's. What it adds: the whole composite as condition, Wan 2.2 A14B's two experts with their
own guidance, ``hold_known``, sample-predicting models, ``batch_cfg`` (the conditional and
unconditional passes as one batch of 2), and the exact speed options of :mod:`motionctx_wan.speed`
that act here: ``collapse_padding`` (shorter text, log-count bias) and ``compile: full`` (the
compiled transformers; the VAE's encoder and decoder are compiled at the first call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from motionctx_wan.backbone import WanBackbone
    from motionctx_wan.conditioning import WanCondition


@dataclass
class Guidance:
    """Text embeddings and guidance scales of one sampling call.

    ``negative`` is None when guidance is off; ``scale_low`` is the low-noise expert's scale (Wan
    2.2 A14B); ``batched`` runs both passes as one forward of batch 2. ``text_bias`` and
    ``negative_bias``: the cross-attention biases of shortened text (``collapse_padding``).
    """

    text: torch.Tensor
    negative: torch.Tensor | None
    scale: float
    scale_low: float
    batched: bool = False
    text_bias: torch.Tensor | None = None
    negative_bias: torch.Tensor | None = None

    def collapsed(self) -> Guidance:
        """The same guidance over text without most of its zero padding
        (:func:`motionctx_wan.speed.collapse_padding`); itself when there is none to drop."""
        from motionctx_wan.speed import collapse_padding

        texts = [self.text] if self.negative is None else [self.text, self.negative]
        found = collapse_padding(texts)
        if found is None:
            return self
        short, biases = found
        return replace(
            self, text=short[0], negative=short[1] if len(short) > 1 else None, text_bias=biases[0],
            negative_bias=biases[1] if len(biases) > 1 else None,
        )  # fmt: skip


def _forward(model: Any, hidden: Any, ts: Any, text: Any, image: Any, context: str, bias: Any = None) -> Any:
    from motionctx_wan.speed import padding_bias, runner

    with model.cache_context(context), padding_bias(model, bias):
        return runner(model)(
            hidden_states=hidden, timestep=ts, encoder_hidden_states=text, encoder_hidden_states_image=image,
            return_dict=False,
        )[0]


def guided_prediction(model: Any, hidden: Any, ts: Any, image: Any, g: Guidance, scale: float) -> Any:
    """The model's prediction for ``hidden``, guided by ``g`` at ``scale``: two passes, or one
    batch of 2 when ``g.batched`` (context ``"cfg"`` for the cache hooks)."""
    import torch

    if g.negative is None:
        return _forward(model, hidden, ts, g.text, image, "cond", g.text_bias)
    if g.batched:
        bias = None if g.text_bias is None else torch.cat([g.text_bias, g.negative_bias])
        both = _forward(
            model, torch.cat([hidden, hidden]), torch.cat([ts, ts]), torch.cat([g.text, g.negative]),
            None if image is None else torch.cat([image, image]), "cfg", bias,
        )
        cond, uncond = both.chunk(2)
    else:
        cond = _forward(model, hidden, ts, g.text, image, "cond", g.text_bias)
        uncond = _forward(model, hidden, ts, g.negative, image, "uncond", g.negative_bias)
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
    from motionctx_wan.speed import install_padding

    if bb.config.collapse_padding:
        install_padding(bb.experts())
        guidance = guidance.collapsed()
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
