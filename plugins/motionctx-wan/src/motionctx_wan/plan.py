"""The Wan backbones as ``motionctx recipe plan`` sees them: meta-device networks and closed forms.

:func:`planned_from_folder` reads a diffusers-format folder's config files, :func:`planned_published`
one of :data:`~motionctx_wan.published.PUBLISHED`; both build every network on the meta device
(shapes only, no memory, no weights). :class:`WanPlannedModel` adds what the architecture decides:

* tokens: ``(1 + (T-1)/4) / p_t * (H/8/p_h) * (W/8/p_w)`` for the 8x VAE (16x for Wan 2.2's);
* forward FLOPs (2 per multiply-add) of the diffusers ``WanTransformer3DModel``;
* activation memory of a training step, counted from the tensors diffusers' Wan block keeps for
  the backward pass (:data:`SAVED_PER_TOKEN`), plus the backward pass's working set, at each
  block of the backward pass with the gradients made by then (:meth:`WanPlannedModel.training_moments`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motionctx.errors import RecipeError, WeightsError
from motionctx.plan.model import ActivationSetting, Moment, Network, PlannedModel
from motionctx.types import Geometry
from motionctx_wan.published import PUBLISHED

__all__ = ["HEAD_PARAMETERS", "SAVED_PER_TOKEN", "WanPlannedModel", "planned_from_folder", "planned_published"]

_DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}
#: Bytes one Wan block whose input needs gradients keeps per token for its backward pass, as
#: ``(a, b, c, e, k)``: ``a * A * d + b * 4 * d + c * A * f + e * 4 * f + 12 * heads + k`` with
#: ``A`` the activation dtype's bytes, ``d`` the width, ``f`` the feed-forward width, keyed by
#: (mode, autocast). Counted with saved-tensor hooks on diffusers 0.42's block: the float32 layer
#: norm inputs, q/k before their RMS norms, rotary q/k, v, the attention outputs, the FFN input,
#: pre- and post-GELU activations (LoRA: float32 copies where peft casts to the adapter's
#: dtype); 12 bytes per head are the three attentions' float32 log-sum-exps.
#: ``tests/test_wan_plan.py`` checks the table against the hooks on a real block.
SAVED_PER_TOKEN: dict[tuple[str, bool], tuple[int, int, int, int, int]] = {
    ("lora", False): (7, 7, 1, 1, 68),
    ("lora", True): (10, 5, 2, 0, 52),
    ("full", False): (12, 12, 2, 0, 36),
    ("full", True): (12, 12, 2, 0, 36),
}
#: The backward pass's working set on top of what is saved, in float32 values per token and unit
#: of width / feed-forward width: the gradients of the hidden states and of the residual stream.
#: Each block's own gradients are freed with its saved tensors as the pass goes, so little more
#: is live at once; ``benchmarks/plan_accuracy.py`` measures 1-3 values of width per token on the
#: CPU in the steady state (after AdamW's first step).
BACKWARD_D, BACKWARD_F = 2, 0
#: The transformer's parameters after its blocks (the output head): the backward pass makes their
#: gradients before any block's; the embedders' (patch, time, text, image) come after every block's.
HEAD_PARAMETERS = ("norm_out", "proj_out", "scale_shift_table")


@dataclass(frozen=True)
class _Shapes:
    """The transformer numbers the closed forms use."""

    width: int
    ffn: int
    heads: int
    head_dim: int
    layers: int
    in_channels: int
    out_channels: int
    patch: tuple[int, int, int]
    text_dim: int
    text_tokens: int
    image_tokens: int
    image_dim: int

    @classmethod
    def from_config(cls, cfg: dict[str, Any], text_tokens: int, image_tokens: int) -> _Shapes:
        heads, head_dim = int(cfg.get("num_attention_heads", 40)), int(cfg.get("attention_head_dim", 128))
        in_ch = int(cfg.get("in_channels", 16))
        return cls(
            width=heads * head_dim,
            ffn=int(cfg.get("ffn_dim", 13824)),
            heads=heads,
            head_dim=head_dim,
            layers=int(cfg.get("num_layers", 40)),
            in_channels=in_ch,
            out_channels=int(cfg.get("out_channels") or in_ch),
            patch=tuple(int(p) for p in cfg.get("patch_size", (1, 2, 2))),  # type: ignore[arg-type]
            text_dim=int(cfg.get("text_dim", 4096)),
            text_tokens=text_tokens,
            image_tokens=image_tokens if cfg.get("image_dim") else 0,
            image_dim=int(cfg.get("image_dim") or 0),
        )


class WanPlannedModel(PlannedModel):
    """A Wan configuration: transformer expert(s) plus the networks around them, on meta."""

    def __init__(
        self,
        name: str,
        source: str,
        transformer: dict[str, Any],
        *,
        experts: int,
        components: dict[str, tuple[Callable[[], Any], int]],
        geometry: Geometry,
        dtype_bytes: int,
        text_tokens: int = 512,
        image_tokens: int = 0,
    ) -> None:
        self.name, self.source, self.geometry = name, source, geometry
        self.transformer_config = {k: v for k, v in transformer.items() if not k.startswith("_")}
        self.experts, self.components, self.dtype_bytes = experts, components, dtype_bytes  # type: ignore[misc]
        self.shapes = _Shapes.from_config(self.transformer_config, text_tokens, image_tokens)
        self._networks: list[Network] | None = None

    # ------------------------------------------------------------------ networks
    def networks(self) -> list[Network]:
        """The transformer expert(s) (trained) and the text encoder, image encoder and VAE."""
        if self._networks is None:
            from diffusers import WanTransformer3DModel

            found = []
            for i in range(self.experts):
                with _meta():
                    module = WanTransformer3DModel.from_config(self.transformer_config)
                found.append(
                    Network("transformer" if i == 0 else f"transformer_{i + 1}", module, self.dtype_bytes, True)
                )
            for name, (build, nbytes) in self.components.items():
                with _meta():
                    found.append(Network(name, build(), nbytes))
            self._networks = found
        return self._networks

    # -------------------------------------------------------------- closed forms
    def tokens(self, frames: int, height: int, width: int) -> int:
        g, (pt, ph, pw) = self.geometry, self.shapes.patch
        latent_frames = (frames - 1) // g.temporal_factor + 1
        return (latent_frames // pt) * (height // g.spatial_factor // ph) * (width // g.spatial_factor // pw)

    def forward_flops(self, tokens: int) -> float:
        """Matrix products of one forward pass (2 FLOPs per multiply-add); norms, rotary
        embedding and the time embedding are left out (well under 1%)."""
        s, n = self.shapes, float(tokens)
        d, context = s.width, s.text_tokens + s.image_tokens
        per_block = (
            2 * n * d * d * 4  # self-attention q, k, v, out
            + 2 * n * n * d * 2  # self-attention scores and weighted sum
            + 2 * n * d * d * 2  # cross-attention q, out
            + 2 * context * d * d * 2  # cross-attention k, v over text (and image) tokens
            + 2 * n * context * d * 2  # cross-attention scores and weighted sum
            + 2 * n * d * s.ffn * 2  # feed-forward
        )
        pt, ph, pw = s.patch
        outer = 2 * n * d * pt * ph * pw * (s.in_channels + s.out_channels)  # patch embedding, projection out
        outer += 2 * s.text_tokens * d * (s.text_dim + d)  # text embedder
        return s.layers * per_block + outer

    def _per_token(self, setting: ActivationSetting) -> int:
        s, act = self.shapes, setting.dtype_bytes
        a, b, c, e, k = SAVED_PER_TOKEN[(setting.mode, setting.autocast)]
        return a * act * s.width + b * 4 * s.width + c * act * s.ffn + e * 4 * s.ffn + 12 * s.heads + k

    def activation_bytes(self, tokens: int, setting: ActivationSetting) -> int:
        """Saved tensors of every block (or, with checkpointing, each block's input plus one
        block recomputed), the per-sample text/image keys and values of the cross-attentions, the
        float64 rotary tables, and the backward pass's working set: the largest of
        :meth:`training_moments`, at the start of the backward pass."""
        return max(m.activations for m in self.training_moments(tokens, setting))

    def training_moments(self, tokens: int, setting: ActivationSetting) -> list[Moment]:
        """The backward pass through each block, last to first, then the optimizer step.

        At block ``i`` the blocks before it still hold their saved tensors (with checkpointing:
        their inputs, and block ``i`` is recomputed whole), and the gradients of the output head
        and of the blocks after it exist; the embedders' come last. After the backward pass every
        gradient exists and no activation does."""
        s, act, n = self.shapes, setting.dtype_bytes, tokens
        context = (s.text_tokens + s.image_tokens) * s.width * act * 2 * (2 if setting.mode == "full" else 1)
        block = n * self._per_token(setting) + context
        if setting.mode == "lora":  # the first block's input needs no gradient: only its adapted FFN keeps tensors
            first = n * ((act if setting.autocast else 4) * s.width + (act + (act if setting.autocast else 4)) * s.ffn)
        else:
            first = block
        rope = 2 * n * s.head_dim * 8
        pt, ph, pw = s.patch
        head = n * (4 * s.width + act * s.width + 4 * 4 * s.out_channels * pt * ph * pw)  # norm_out, proj_out, loss
        working = 4 * n * (BACKWARD_D * s.width + BACKWARD_F * s.ffn)
        fixed = rope + head + working
        moments = []
        for i in reversed(range(s.layers)):
            own = first if i == 0 else block
            if setting.checkpointing:
                kept = (i + 1) * n * s.width * act + own
            else:
                kept = first + i * block if i else first
            made = HEAD_PARAMETERS + tuple(f"blocks.{j}" for j in range(i + 1, s.layers))
            moments.append(Moment(int(kept + fixed), made))
        moments.append(Moment(0, None))
        return moments

    def inference_bytes(self, tokens: int, dtype_bytes: int) -> int:
        """One block at a time without gradients: hidden states and their float32 copies, q/k/v,
        float64 rotary products, the feed-forward activations, and the cross-attention context."""
        s, act, n = self.shapes, dtype_bytes, tokens
        per_token = 8 * act * s.width + 3 * 4 * s.width + 12 * s.width + 2 * act * s.ffn + 4 * s.ffn
        context = (s.text_tokens + s.image_tokens) * s.width * act * 2
        return int(n * per_token + context + 2 * n * s.head_dim * 8)


def _meta() -> Any:
    """A context in which modules are built on the meta device (shapes, no memory)."""
    import torch

    return torch.device("meta")


def _geometry(vae: dict[str, Any], transformer: dict[str, Any], max_frames: int) -> Geometry:
    spatial = int(vae.get("scale_factor_spatial") or 8)
    patch = [int(p) for p in transformer.get("patch_size", (1, 2, 2))]
    return Geometry(
        spatial_factor=spatial,
        temporal_factor=int(vae.get("scale_factor_temporal") or 4),
        size_multiple=spatial * max(patch[1], patch[2]),
        max_frames=max_frames,
    )


def _image_tokens(cfg: dict[str, Any] | None) -> int:
    """CLIP vision tokens: one per patch plus the class token (257 for ViT-H/14 at 224)."""
    if not cfg:
        return 0
    return (int(cfg.get("image_size", 224)) // int(cfg.get("patch_size", 14))) ** 2 + 1


def planned_published(name: str, *, dtype: str, vae_dtype: str, text_tokens: int, max_frames: int) -> WanPlannedModel:
    """One of :data:`PUBLISHED` (a RecipeError lists them for an unknown name)."""
    if name not in PUBLISHED:
        raise RecipeError(f"no published Wan configuration {name!r}", f"one of: {', '.join(PUBLISHED)}")
    p = PUBLISHED[name]

    def vae() -> Any:
        from diffusers import AutoencoderKLWan

        return AutoencoderKLWan.from_config(p["vae"])

    def text() -> Any:
        from transformers import UMT5Config, UMT5EncoderModel

        return UMT5EncoderModel(UMT5Config(**p["text_encoder"]))

    def image() -> Any:
        from transformers import CLIPVisionConfig, CLIPVisionModel

        return CLIPVisionModel(CLIPVisionConfig(**p["image_encoder"]))

    big, small = _DTYPE_BYTES[dtype], _DTYPE_BYTES[vae_dtype]
    components: dict[str, tuple[Callable[[], Any], int]] = {"text_encoder": (text, big)}
    if "image_encoder" in p:
        components["image_encoder"] = (image, small)
    components["vae"] = (vae, small)
    return WanPlannedModel(
        name, "published configuration (built in)", p["transformer"], experts=p["experts"], components=components,
        geometry=_geometry(p["vae"], p["transformer"], max_frames), dtype_bytes=big, text_tokens=text_tokens,
        image_tokens=_image_tokens(p.get("image_encoder")),
    )  # fmt: skip


_LIBRARIES = ("diffusers", "transformers")


def _component_builder(folder: Path, name: str, library: str, cls_name: str) -> Callable[[], Any]:
    """A builder of ``name`` from its ``config.json`` with the class ``model_index.json`` names
    (from diffusers, transformers or an installed motionctx plugin)."""
    if library not in _LIBRARIES and not library.startswith("motionctx_"):
        raise WeightsError(f"{folder}: {name} is a {library}.{cls_name}, which the planner does not build")
    cfg = json.loads((folder / name / "config.json").read_text(encoding="utf-8"))

    def build() -> Any:
        cls = getattr(importlib.import_module(library), cls_name)
        if hasattr(cls, "from_config") and hasattr(cls, "config_name"):  # a diffusers model
            return cls.from_config(cfg)
        return cls(cls.config_class.from_dict(cfg))

    return build


def planned_from_folder(
    path: str | Path, backbone: str, *, dtype: str, vae_dtype: str, text_tokens: int, max_frames: int
) -> WanPlannedModel:
    """The networks of a diffusers-format Wan folder, from its config files only."""
    from motionctx_wan.loading import check_folder, read_json

    folder = Path(path).expanduser()
    index = check_folder(folder, backbone)
    experts = [n for n in ("transformer", "transformer_2") if isinstance(index.get(n), list) and index[n][0]]
    transformer = read_json(folder / experts[0] / "config.json") or {}
    big, small = _DTYPE_BYTES[dtype], _DTYPE_BYTES[vae_dtype]
    components: dict[str, tuple[Callable[[], Any], int]] = {}
    for name, nbytes in (("text_encoder", big), ("image_encoder", small), ("vae", small)):
        entry = index.get(name)
        if isinstance(entry, list) and entry[0]:
            components[name] = (_component_builder(folder, name, entry[0], entry[1]), nbytes)
    vae = read_json(folder / "vae" / "config.json") or {}
    image = read_json(folder / "image_encoder" / "config.json") if "image_encoder" in components else None
    return WanPlannedModel(
        str(folder), f"config files of {folder}", transformer, experts=len(experts), components=components,
        geometry=_geometry(vae, transformer, max_frames), dtype_bytes=big, text_tokens=text_tokens,
        image_tokens=_image_tokens(image),
    )  # fmt: skip
