"""Wan backbones: ``wan_i2v`` (Wan 2.1 I2V 14B, Wan 2.2 I2V-A14B) and ``wan_ti2v`` (Wan 2.2 TI2V-5B).

Both load a local diffusers-format folder into diffusers' ``WanImageToVideoPipeline`` and reuse its
components (text encoder, CLIP encoder, VAE, transformers, scheduler); the denoising loop is ours so
that the whole in-context composite, not just one first frame, is given to the model:

* ``wan_i2v`` concatenates ``[noise z | 4-channel mask | composite latents z]`` along channels.
* ``wan_ti2v`` holds the composite's known tokens at their clean latents with timestep 0.

With the ``first_frame`` composer both reproduce the stock pipelines frame for frame.
Importing this module stays free of torch and diffusers (plugin discovery must be light).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from motionctx.errors import InputError, RecipeError, WeightsError
from motionctx.parts import MissingFile
from motionctx.suggest import closest
from motionctx.types import Geometry, Video
from motionctx_wan.loading import DOWNLOAD_HINTS, check_folder, folder_geometry, folder_problems, load_pipeline
from motionctx_wan.speed import SpeedConfig
from motionctx_wan.training import WanTrainingMixin

if TYPE_CHECKING:
    import torch

    from motionctx.types import Composite
    from motionctx_wan.conditioning import WanCondition

Dtype = Literal["bfloat16", "float16", "float32"]


class WanConfig(SpeedConfig):
    """Recipe parameters shared by the Wan backbones (the speed options: :class:`SpeedConfig`)."""

    path: str = Field(..., description="local diffusers-format Wan folder (the one holding model_index.json)")
    dtype: Dtype = Field("bfloat16", description="dtype of the transformer(s) and text encoder")
    vae_dtype: Dtype = Field("float32", description="dtype of the VAE and CLIP image encoder")
    device: str = Field("auto", description="torch device; 'auto' = cuda when available, else cpu")
    offload: Literal["none", "model", "sequential"] = Field(
        "none", description="CPU offload on a GPU machine: whole models ('model') or layer by layer ('sequential')"
    )
    vae_tiling: bool = Field(False, description="decode/encode the VAE in spatial tiles (less memory)")
    vae_slicing: bool = Field(False, description="run the VAE one batch item at a time (less memory)")
    scheduler: Literal["folder", "unipc", "euler"] = Field(
        "folder", description="sampling scheduler: the folder's (UniPC flow for Wan), 'unipc' or 'euler' flow matching"
    )
    flow_shift: float | None = Field(None, gt=0, description="override the schedule's flow shift (None = folder's)")
    guidance_low_noise: float | None = Field(
        None, description="Wan 2.2 A14B: guidance of the low-noise expert (None = same as guidance)"
    )
    hold_known: bool = Field(
        False, description="sampling: keep the known cells of the noisy latent on the noised condition latent "
        "(as in training) instead of letting the sampler evolve them"
    )
    max_sequence_length: int = Field(512, ge=1, description="text tokens; embeddings are zero-padded to this length")
    lora: str | None = Field(None, description="LoRA file to load at start-up (diffusers or ComfyUI layout)")
    lora_rank: int = Field(256, ge=1, description="LoRA rank for add_lora")
    lora_alpha: float | None = Field(None, gt=0, description="LoRA alpha (None = rank, i.e. scale 1)")
    gradient_checkpointing: bool = Field(False, description="recompute transformer blocks in the backward pass")
    timestep_sampling: Literal["uniform", "logit_normal"] = Field(
        "uniform", description="training noise-level distribution before the shift"
    )
    logit_mean: float = Field(0.0, description="logit_normal sampling: mean")
    logit_std: float = Field(1.0, gt=0, description="logit_normal sampling: standard deviation")
    sample_loss_floor: float = Field(
        0.05, gt=0, le=1, description="clean-sample models: training divides by max(noise level, this); "
        "larger values weight high noise levels (layout, motion) more"
    )
    train_shift: float | None = Field(
        None, gt=0, description="training flow shift s' = k s / (1 + (k-1) s) (None = the schedule's flow shift)"
    )
    moving_weight: float = Field(
        0.0, ge=0, description="training: extra loss weight on latent cells whose clean content moves (far from "
        "the clip's temporal median): they count 1 + this (0: plain loss)"
    )
    rope_parts: int = Field(
        1, ge=1, description="split the latent's width into this many equal parts that share rotary positions "
        "(2: the same place in both halves of a spatial composite has the same position; 1: the model's own)"
    )


class WanBackbone(WanTrainingMixin):
    """Shared implementation; the two registered backbones differ in how known regions are given."""

    lora_targets: ClassVar[tuple[str, ...]] = (r"blocks\.\d+\.ffn\.net\.0\.proj", r"blocks\.\d+\.ffn\.net\.2")
    #: Wan 2.2 TI2V: known tokens are held clean with per-token timestep 0 instead of mask channels.
    expand_timesteps: ClassVar[bool] = False
    default_geometry: ClassVar[Geometry] = Geometry(
        spatial_factor=8, temporal_factor=4, size_multiple=16, max_frames=81
    )

    Config = WanConfig
    config: WanConfig

    def __init__(self, config: Any = None, **params: Any) -> None:
        super().__init__(config, **params)
        self.pipe: Any = None
        self._geometry: Geometry | None = None

    # ----------------------------------------------------------------- loading
    def missing_files(self) -> list[MissingFile]:
        """The weights folder (or what it lacks) and the LoRA file, when they are not there."""
        cfg = self.config
        hint = DOWNLOAD_HINTS.get(self.name, DOWNLOAD_HINTS["wan_i2v"]).format(folder=cfg.path)
        out = [MissingFile(f"{self.name} weights folder, {p}", cfg.path, hint) for p in folder_problems(cfg.path)]
        if cfg.lora and not Path(cfg.lora).expanduser().is_file():
            out.append(MissingFile(f"{self.name} LoRA file", cfg.lora, "train one (recipes/train_pose_m2.yaml) or fix `lora:`"))
        return out

    def load(self) -> None:
        """Load the folder, check it is the right Wan family, place it on the device."""
        cfg = self.config
        check_folder(cfg.path, self.name)  # a wrong path fails before the heavy imports
        import torch

        device = cfg.device if cfg.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        if cfg.offload != "none" and torch.device(device).type == "cpu":
            raise RecipeError(
                f"{self.name}: offload={cfg.offload!r} needs a GPU device, got {device!r}",
                "set offload: none on a CPU-only machine",
            )
        pipe = load_pipeline(
            cfg.path, self.name, dtype=cfg.dtype, vae_dtype=cfg.vae_dtype, expand_timesteps=self.expand_timesteps
        )
        self._check_family(pipe)
        if cfg.offload != "none":
            if cfg.offload == "model":
                pipe.enable_model_cpu_offload(device=device)
            else:
                pipe.enable_sequential_cpu_offload(device=device)
        else:
            pipe.to(device)
        if cfg.vae_tiling and hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
        if cfg.vae_slicing and hasattr(pipe.vae, "enable_slicing"):
            pipe.vae.enable_slicing()
        self.pipe = pipe
        self._device = torch.device(device)
        self._geometry = None  # re-read from the loaded modules
        self._loaded = True  # load_lora below goes through ensure_loaded
        if cfg.rope_parts != 1:
            from motionctx_wan.rope import share_width_positions  # imports torch: not at discovery

            for tr in self.experts():
                share_width_positions(tr, cfg.rope_parts)
        if cfg.lora:
            if not Path(cfg.lora).is_file():
                raise WeightsError(f"{self.name}: LoRA file {cfg.lora!r} does not exist", "check `lora:` in the recipe")
            self.load_lora(cfg.lora)
        if cfg.compile != "none":
            from motionctx_wan.speed import compile_blocks

            compile_blocks(self.experts(), cfg)

    def sampling_options(self) -> dict[str, Any]:
        """The speed options in use (cache, batched guidance, compile), as the animate stage reports them."""
        from motionctx_wan.speed import describe

        return describe(self.config)

    def sampling_batch(self, guidance: float) -> int:
        """2 with ``batch_cfg`` while guidance is on (above 1), else 1."""
        return 2 if self.config.batch_cfg and guidance > 1.0 else 1

    def planned_model(self, model: str | None = None) -> Any:
        """The networks on the meta device, from the weights folder's config files, or from the
        published configuration ``model`` (:attr:`published_models`); no weights are read."""
        from motionctx_wan import plan

        cfg = self.config
        common = {"dtype": cfg.dtype, "vae_dtype": cfg.vae_dtype, "text_tokens": cfg.max_sequence_length,
                  "max_frames": self.default_geometry.max_frames}  # fmt: skip
        if model is not None:
            if model not in self.published_models:
                match = closest(model, self.published_models)
                raise RecipeError(
                    f"{self.name}: no published configuration {model!r}",
                    (f"did you mean {match!r}? " if match else "") + f"{self.name} knows: {', '.join(self.published_models)}",
                )
            return plan.planned_published(model, **common)
        if folder_problems(cfg.path):
            names = ", ".join(self.published_models)
            raise WeightsError(
                f"{self.name}: cannot plan without the weights folder: {cfg.path} {folder_problems(cfg.path)[0]}",
                f"pass --model NAME to plan a published configuration ({names}), or point `path:` at the folder",
            )
        return plan.planned_from_folder(cfg.path, self.name, **common)

    def _check_family(self, pipe: Any) -> None:
        tr = self.main_transformer(pipe)
        z = int(pipe.vae.config.z_dim)
        got = int(tr.config.in_channels)
        temporal = int(getattr(pipe.vae.config, "scale_factor_temporal", None) or 4)
        want = z if self.expand_timesteps else 2 * z + temporal  # mask channels = temporal factor
        if got != want:
            other = "wan_i2v" if self.expand_timesteps else "wan_ti2v"
            raise WeightsError(
                f"{self.name}: {self.config.path} has a transformer with {got} input channels, "
                f"expected {want} for this backbone (VAE z_dim {z})",
                f"this folder looks like another Wan family; try `use: {other}`, or a text-to-video folder was given",
            )
        if tr.config.image_dim is not None and getattr(pipe, "image_encoder", None) is None:
            raise WeightsError(
                f"{self.name}: {self.config.path} has a transformer that expects CLIP image embeddings "
                "but no image_encoder/ and image_processor/",
                "download the complete Diffusers folder (it includes image_encoder/ and image_processor/)",
            )

    def save_pretrained(self, folder: str | Path) -> Path:
        """The whole pipeline (trained transformer included, LoRA excluded) as a diffusers folder that
        ``path:`` loads again; written to a temporary folder and renamed into place."""
        from motionctx.io import atomic_dir

        self.ensure_loaded()
        if any(getattr(m, "peft_config", None) for m in self.experts()):
            raise RecipeError(f"{self.name}: save_pretrained writes base weights; use save_lora for adapters")
        with atomic_dir(folder) as tmp:
            self.pipe.save_pretrained(tmp, safe_serialization=True)
        return Path(folder)

    @staticmethod
    def main_transformer(pipe: Any) -> Any:
        return pipe.transformer if pipe.transformer is not None else pipe.transformer_2

    def experts(self) -> list[Any]:
        """The loaded transformers (one, or two for Wan 2.2 A14B)."""
        self.ensure_loaded()
        return [m for m in (self.pipe.transformer, getattr(self.pipe, "transformer_2", None)) if m is not None]

    @property
    def device(self) -> torch.device:
        self.ensure_loaded()
        return self.pipe._execution_device if self.config.offload != "none" else self._device

    @property
    def geometry(self) -> Geometry:
        """Sizes the model accepts: from the loaded VAE and transformer configs once loaded, before
        that from the folder's config files (no weights needed), else the family's defaults."""
        if self._geometry is None:
            if self.pipe is not None:
                vae = self.pipe.vae.config
                g = {
                    "spatial": int(getattr(vae, "scale_factor_spatial", None) or 8),
                    "temporal": int(getattr(vae, "scale_factor_temporal", None) or 4),
                    "patch": tuple(self.main_transformer(self.pipe).config.patch_size),
                }
            else:
                g = folder_geometry(self.config.path)
            if g is None:
                return self.default_geometry
            spatial, patch = g["spatial"], g["patch"]
            self._geometry = Geometry(
                spatial_factor=spatial,
                temporal_factor=g["temporal"],
                size_multiple=spatial * max(patch[1], patch[2]),
                max_frames=self.default_geometry.max_frames,
            )
        return self._geometry

    # ---------------------------------------------------------------- encoding
    def encode_text(self, prompts: list[str]) -> torch.Tensor:
        """UMT5 embeddings ``[B, max_sequence_length, text_dim]`` (zero-padded), transformer dtype."""
        self.ensure_loaded()
        embeds, _ = self.pipe.encode_prompt(
            prompt=list(prompts),
            do_classifier_free_guidance=False,
            max_sequence_length=self.config.max_sequence_length,
            device=self.device,
        )
        return embeds.to(self.main_transformer(self.pipe).dtype)

    def encode_video(self, video: Video) -> torch.Tensor:
        """Normalised VAE latents ``[1, z, F, h, w]`` (float32) of a video in [0, 1] (distribution mode)."""
        import torch

        self.ensure_loaded()
        vae = self.pipe.vae
        x = (2.0 * video.frames - 1.0).permute(1, 0, 2, 3).unsqueeze(0)
        x = x.to(device=self._vae_device(), dtype=vae.dtype)
        out = vae.encode(x)
        lat = out.latent_dist.mode() if hasattr(out, "latent_dist") else out.latents
        lat = lat.to(device=self.device, dtype=torch.float32)
        mean, inv_std = self._latent_stats(lat)
        return (lat - mean) * inv_std

    def decode(self, latents: torch.Tensor, fps: float = 16.0) -> Video:
        """Decode normalised latents ``[1, z, F, h, w]`` to a Video in [0, 1]."""
        self.ensure_loaded()
        vae = self.pipe.vae
        lat = latents.to(device=self._vae_device(), dtype=vae.dtype)
        mean, inv_std = self._latent_stats(lat)
        video = vae.decode(lat / inv_std + mean, return_dict=False)[0]
        frames = (video[0].permute(1, 0, 2, 3) * 0.5 + 0.5).clamp(0, 1)
        return Video(frames.float().cpu().contiguous(), fps)

    def _vae_device(self) -> Any:
        from diffusers.utils.torch_utils import get_module_execution_device

        return get_module_execution_device(self.pipe.vae)

    def _latent_stats(self, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        cfg = self.pipe.vae.config
        shape = (1, int(cfg.z_dim), 1, 1, 1)
        mean = torch.tensor(cfg.latents_mean).view(shape).to(like.device, like.dtype)
        inv_std = 1.0 / torch.tensor(cfg.latents_std).view(shape).to(like.device, like.dtype)
        return mean, inv_std

    def check_composite(self, composite: Composite) -> None:
        """Raise InputError unless the composite's frames and sides fit :attr:`geometry`."""
        g = self.geometry
        t, _, h, w = composite.video.frames.shape
        if (t - 1) % g.temporal_factor or h % g.size_multiple or w % g.size_multiple:
            raise InputError(
                f"{self.name}: composite is {t} frames of {h}x{w}, but this model needs "
                f"{g.temporal_factor}k+1 frames and sides that are multiples of {g.size_multiple}",
                "snap the inputs first with backbone.geometry.snap_frames / snap_size",
            )
        if self.pipe is not None:  # rotary positions exist up to rope_max_seq_len tokens per axis
            limit = int(getattr(self.main_transformer(self.pipe).config, "rope_max_seq_len", None) or 1024)
            tokens = (h // g.size_multiple, w // g.size_multiple // self.config.rope_parts)
            if max(tokens) > limit:
                raise InputError(
                    f"{self.name}: composite is {h}x{w} pixels, {tokens[0]}x{tokens[1]} positions, but this model "
                    f"has rotary positions for at most {limit} per side ({limit * g.size_multiple} pixels)",
                    "use a smaller working size: the stage's `size` or `area`",
                )

    def encode_condition(self, composite: Composite) -> WanCondition:
        """VAE latents of the whole composite (seam included) plus the masks that say what is given."""
        import torch

        from motionctx_wan.conditioning import WanCondition, cell_known, i2v_mask, token_known

        self.ensure_loaded()
        self.check_composite(composite)
        g = self.geometry
        patch = tuple(int(p) for p in self.main_transformer(self.pipe).config.patch_size)
        with torch.no_grad():
            latents = self.encode_video(composite.video)
            known = composite.known_union().to(latents.device)
            cells = cell_known(known, g.temporal_factor, g.spatial_factor)
            if self.expand_timesteps:
                mask, given = None, token_known(cells, patch)
            else:
                mask, given = i2v_mask(known, g.temporal_factor, g.spatial_factor).to(latents), cells
            image = self._image_embeds(composite)
        return WanCondition(latents, mask, given.to(latents), image, self.expand_timesteps, patch)

    def _image_embeds(self, composite: Composite) -> torch.Tensor | None:
        """CLIP penultimate hidden states of the reference, for checkpoints with ``image_dim``."""
        tr = self.main_transformer(self.pipe)
        if tr.config.image_dim is None or getattr(self.pipe, "image_encoder", None) is None:
            return None
        embeds = self.pipe.encode_image(reference_pil(composite), self.device)
        return embeds.to(tr.dtype)

    # ---------------------------------------------------------------- sampling
    def make_scheduler(self) -> Any:
        """A fresh scheduler per call (schedulers keep state between steps)."""
        from diffusers import FlowMatchEulerDiscreteScheduler, UniPCMultistepScheduler

        base = self.pipe.scheduler
        shift = self.config.flow_shift or self.folder_shift()
        steps = int(base.config.get("num_train_timesteps", 1000))
        if self.config.scheduler == "unipc":
            return UniPCMultistepScheduler(
                prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=shift, num_train_timesteps=steps
            )
        if self.config.scheduler == "euler":
            return FlowMatchEulerDiscreteScheduler(shift=shift, num_train_timesteps=steps)
        overrides = {"prediction_type": "flow_prediction"} if self.predicts_sample else {}
        if self.config.flow_shift is not None:
            overrides["flow_shift" if "flow_shift" in base.config else "shift"] = self.config.flow_shift
        return type(base).from_config(base.config, **overrides)

    @property
    def predicts_sample(self) -> bool:
        """The folder's scheduler says ``prediction_type: sample``: the transformer outputs clean
        latents, turned into velocities by :func:`motionctx_wan.flow.velocity_from_sample`."""
        return self.pipe.scheduler.config.get("prediction_type") == "sample"

    def folder_shift(self) -> float:
        cfg = self.pipe.scheduler.config
        return float(cfg.get("flow_shift") or cfg.get("shift") or 3.0)

    def _expert(self, t: Any, boundary: float | None) -> Any:
        if boundary is None or self.pipe.transformer_2 is None or (self.pipe.transformer is not None and t >= boundary):
            return self.pipe.transformer, False
        return self.pipe.transformer_2, True

    def boundary(self) -> float | None:
        ratio = self.pipe.config.get("boundary_ratio")
        return None if ratio is None else float(ratio) * int(self.pipe.scheduler.config.num_train_timesteps)

    @staticmethod
    def run_model(model: Any, hidden: Any, timestep: Any, text: Any, image: Any, context: str) -> Any:
        ctx = model.cache_context(context) if hasattr(model, "cache_context") else nullcontext()
        with ctx:
            return model(
                hidden_states=hidden.to(model.dtype),
                timestep=timestep,
                encoder_hidden_states=text,
                encoder_hidden_states_image=image,
                return_dict=False,
            )[0]

    def sample(
        self,
        composite: Composite,
        prompt: str,
        *,
        negative_prompt: str = "",
        steps: int = 30,
        guidance: float = 5.0,
        seed: int = 0,
        progress: Any = None,
    ) -> Video:
        """Denoise a composite-shaped video. Classifier-free guidance when ``guidance > 1``; the noise
        comes from a CPU ``torch.Generator`` seeded with ``seed`` (same result on any device)."""
        import torch

        from motionctx_wan.sampling import Guidance, denoise
        from motionctx_wan.speed import compile_vae, install_cache, reset_cache

        self.ensure_loaded()
        if steps < 1:
            raise InputError(f"{self.name}: steps must be >= 1, got {steps}")
        cfg = self.config
        models = self.experts()
        if cfg.compile == "full":  # before the condition is encoded, so the first sample's encode is compiled too
            compile_vae(self.pipe.vae)
        with torch.no_grad():
            cond = self.encode_condition(composite)
            text = self.encode_text([prompt])
            neg = self.encode_text([negative_prompt or ""]) if guidance > 1.0 else None
            low = cfg.guidance_low_noise if cfg.guidance_low_noise is not None else guidance
            install_cache(models, cfg)
            try:
                latents = denoise(
                    self, cond, Guidance(text, neg, guidance, low, batched=cfg.batch_cfg), steps=steps, seed=seed,
                    progress=progress,
                )
            finally:
                reset_cache(models)
            video = self.decode(cond.finalize(latents), fps=composite.video.fps)
        if cfg.offload != "none":
            self.pipe.maybe_free_model_hooks()  # move the last model back to the CPU, as the stock pipeline does
        return video


def reference_pil(composite: Composite) -> Any:
    """The reference as an 8-bit PIL image (what CLIP sees, as with the stock pipeline's PIL input):
    the bounding box of the ``reference`` known mask in its first known frame, else frame 0."""
    from PIL import Image as PILImage

    frames = composite.video.frames
    crop = frames[0]
    mask = composite.known.get("reference")
    if mask is not None and bool(mask.any()):
        t = int(mask.flatten(1).any(dim=1).nonzero()[0])
        ys, xs = mask[t, 0].nonzero(as_tuple=True)
        crop = frames[t, :, int(ys.min()) : int(ys.max()) + 1, int(xs.min()) : int(xs.max()) + 1]
    array = crop.mul(255.0).round().clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
    return PILImage.fromarray(array)


class WanI2VBackbone(WanBackbone):
    """Wan 2.1 I2V 14B (480P / 720P) and Wan 2.2 I2V-A14B (two experts) with in-context conditioning.

    The composite is VAE-encoded as one video; the 4-channel latent mask marks, per pixel frame of
    each latent group, the cells where any pixel is given (reference at frame 1, motion at every
    frame). Channels: ``[noise 16 | mask 4 | condition 16]``. CLIP embeddings of the reference are
    added when the checkpoint has ``image_dim`` (Wan 2.1).
    """

    name: ClassVar[str] = "wan_i2v"
    expand_timesteps: ClassVar[bool] = False
    published_models: ClassVar[tuple[str, ...]] = ("wan2.1-i2v-14b-480p", "wan2.1-i2v-14b-720p", "wan2.2-i2v-a14b")


class WanTI2VBackbone(WanBackbone):
    """Wan 2.2 TI2V-5B: known latent tokens are held at their clean latents with timestep 0.

    This is the stock TI2V image conditioning (clean first frame, per-token timesteps) generalised
    from frame 1 to every known token of the composite, e.g. the whole motion half.
    """

    name: ClassVar[str] = "wan_ti2v"
    expand_timesteps: ClassVar[bool] = True
    published_models: ClassVar[tuple[str, ...]] = ("wan2.2-ti2v-5b",)
    default_geometry: ClassVar[Geometry] = Geometry(
        spatial_factor=16, temporal_factor=4, size_multiple=32, max_frames=121
    )
