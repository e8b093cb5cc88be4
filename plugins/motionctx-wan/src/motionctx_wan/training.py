"""LoRA and the flow-matching loss for the Wan backbones.

Loss: ``x_s = (1 - s) x0 + s noise``, target ``noise - x0``, timestep ``1000 s``. The composite's
known regions (the reference at frame 1, the motion signal at every frame) are given to the model
as condition - mask channels + condition latents for I2V, clean tokens at timestep 0 for TI2V -
and are left out of the loss: only latent cells with something to generate count. With two experts
(Wan 2.2 A14B) each item goes to the expert that owns its timestep.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx.parts import Backbone

if TYPE_CHECKING:
    import torch

    from motionctx.types import Composite, Video
    from motionctx_wan.conditioning import WanCondition

#: Where the low-noise expert's adapter of a two-expert model goes, beside the main file.
LOW_NOISE_SUFFIX = "_low_noise"


def low_noise_path(path: str | Path) -> Path:
    """``x.safetensors`` -> ``x_low_noise.safetensors`` (the ``transformer_2`` adapter)."""
    p = Path(path)
    return p.with_name(p.stem + LOW_NOISE_SUFFIX + p.suffix)


class WanTrainingMixin(Backbone):
    """LoRA handling and ``training_loss`` on top of the Wan sampling code."""

    pipe: Any

    # -------------------------------------------------------------------- LoRA
    def add_lora(
        self, rank: int | None = None, alpha: float | None = None, targets: tuple[str, ...] | None = None
    ) -> None:
        """Trainable adapters (B = 0) on every expert; rank/alpha default to the Config (alpha = rank)."""
        import torch

        from motionctx_wan import lora

        rank = int(rank or self.config.lora_rank)
        alpha = float(alpha or self.config.lora_alpha or rank)
        for model in self.experts():
            lora.add(model, rank, alpha, tuple(targets or self.lora_targets), torch.float32)
            self._after_adapter(model)

    def save_lora(self, path: str | Path) -> None:
        """Diffusers-format file (``pipe.load_lora_weights(path)`` loads it); a two-expert model also
        writes the ``transformer_2`` adapter to :func:`low_noise_path` (``load_into_transformer_2``)."""
        from motionctx_wan import lora

        experts = self.experts()
        lora.save(experts[0], path)
        if len(experts) > 1:
            lora.save(experts[1], low_noise_path(path))

    def load_lora(self, path: str | Path) -> None:
        """Load a diffusers or original-Wan/ComfyUI LoRA file as the trainable adapter (replacing any);
        for two experts the :func:`low_noise_path` file, when present, goes into ``transformer_2``."""
        import torch

        from motionctx_wan import lora

        experts = self.experts()
        lora.load(experts[0], path, self.pipe, torch.float32)
        self._after_adapter(experts[0])
        if len(experts) > 1 and low_noise_path(path).is_file():
            lora.load(experts[1], low_noise_path(path), self.pipe, torch.float32)
            self._after_adapter(experts[1])

    def _after_adapter(self, model: Any) -> None:
        if self.config.gradient_checkpointing and getattr(model, "_supports_gradient_checkpointing", False):
            model.enable_gradient_checkpointing()

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        """Parameters that require gradients (the LoRA adapters after add_lora/load_lora)."""
        return [p for model in self.experts() for p in model.parameters() if p.requires_grad]

    # -------------------------------------------------------------------- loss
    def training_loss(
        self,
        composites: list[Composite],
        clean: list[Video],
        prompts: list[str],
        generator: torch.Generator | None = None,
        text_embeddings: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Masked flow-matching loss over a batch (items of equal size are run together).

        ``generator`` (CPU) drives the noise levels and the noise, so a fixed seed gives a fixed loss.
        ``text_embeddings`` (one ``[L, D]`` per prompt, as ``encode_text`` makes them and the
        prepare stage caches them) skip the text encoder.
        """
        import torch

        n = len(composites)
        if not n or not (n == len(clean) == len(prompts)):
            raise InputError(
                f"{self.name}.training_loss: got {n} composites, {len(clean)} clean videos and "
                f"{len(prompts)} prompts; need the same non-zero number of each"
            )
        for comp, video in zip(composites, clean, strict=True):
            if video.frames.shape != comp.video.frames.shape:
                raise InputError(
                    f"{self.name}.training_loss: clean video {tuple(video.frames.shape)} does not match its "
                    f"composite {tuple(comp.video.frames.shape)}",
                    "pass composite.with_target(target) as the clean video",
                )
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, comp in enumerate(composites):
            groups.setdefault(tuple(comp.video.frames.shape), []).append(i)
        err_total = torch.zeros((), device=self.device)
        count_total = torch.zeros((), device=self.device)
        if text_embeddings is not None and len(text_embeddings) != n:
            raise InputError(f"{self.name}.training_loss: {len(text_embeddings)} text embeddings for {n} prompts")
        for idx in groups.values():
            cached = None if text_embeddings is None else [text_embeddings[i] for i in idx]
            err, count = self._group_loss(
                [composites[i] for i in idx], [clean[i] for i in idx], [prompts[i] for i in idx], generator, cached
            )
            err_total = err_total + err
            count_total = count_total + count
        return err_total / count_total.clamp_min(1.0)

    def _group_loss(
        self,
        composites: list[Composite],
        clean: list[Video],
        prompts: list[str],
        generator: Any,
        text_embeddings: list[torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        cond, x0, text = self.prepare_loss(composites, clean, prompts, text_embeddings)
        return self.latent_loss(cond, x0, text, generator)

    def prepare_loss(
        self,
        composites: list[Composite],
        clean: list[Video],
        prompts: list[str],
        text_embeddings: list[torch.Tensor] | None = None,
    ) -> tuple[WanCondition, torch.Tensor, torch.Tensor]:
        """The no-gradient half of the loss for composites of one size: the stacked condition, the
        clean latents and the text embeddings (the VAE and text encoder run here)."""
        import torch

        from motionctx_wan.conditioning import WanCondition

        with torch.no_grad():
            cond = WanCondition.stack([self.encode_condition(c) for c in composites])
            # the given cells carry what the condition gives (the reference, the motion signal), as
            # sampling with hold_known does; the clean video's own pixels there would leak the target
            # when the reference is not its first frame
            x0 = cond.hold(torch.cat([self.encode_video(v) for v in clean]))
            if text_embeddings is None:
                text = self.encode_text(prompts)
            else:
                dtype = self.main_transformer(self.pipe).dtype
                text = torch.stack([t.to(self.device, dtype) for t in text_embeddings])
        return cond, x0, text

    def latent_loss(
        self, cond: WanCondition, x0: torch.Tensor, text: torch.Tensor, generator: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The transformer half of the loss from :meth:`prepare_loss`'s outputs: summed masked
        error and its count (noise levels and noise drawn from ``generator``)."""
        import torch

        from motionctx_wan import flow
        from motionctx_wan.speed import remove_cache

        remove_cache(self.experts())  # a step cache would skip blocks the loss must run
        cfg = self.config
        b = x0.shape[0]
        levels = flow.sample_levels(
            b,
            mode=cfg.timestep_sampling,
            shift=cfg.train_shift or self.folder_shift(),
            logit_mean=cfg.logit_mean,
            logit_std=cfg.logit_std,
            generator=generator,
        )
        noise = torch.randn(tuple(x0.shape), generator=generator).to(x0)
        levels = levels.to(x0.device)
        x_t = flow.noisy(x0, noise, levels)
        target = noise - x0
        timesteps = levels * int(self.pipe.scheduler.config.num_train_timesteps)
        boundary = self.boundary()
        err = torch.zeros((), device=x0.device)
        count = torch.zeros((), device=x0.device)
        for low in (False, True):
            sel = [i for i in range(b) if self._expert(timesteps[i], boundary)[1] == low]
            if not sel:
                continue
            model = self._expert(timesteps[sel[0]], boundary)[0]
            part = _select(cond, sel)
            hidden, ts = part.model_input(x_t[sel], timesteps[sel])
            pred = self.run_model(model, hidden, ts, text[sel], part.image_embeds, "train")
            if self.predicts_sample:
                pred = flow.velocity_from_sample(pred, x_t[sel], levels[sel], floor=cfg.sample_loss_floor)
            weight = part.unknown
            if cfg.moving_weight:
                weight = weight * flow.moving_weight(x0[sel], cfg.moving_weight)
            e, c = flow.masked_error(pred, target[sel], weight)
            err, count = err + e, count + c
        return err, count


def _select(cond: Any, sel: list[int]) -> Any:
    """The batch items ``sel`` of a WanCondition."""
    from dataclasses import replace

    def pick(t: Any) -> Any:
        return None if t is None else t[sel]

    return replace(
        cond,
        latents=pick(cond.latents),
        mask=pick(cond.mask),
        known=pick(cond.known),
        image_embeds=pick(cond.image_embeds),
    )
