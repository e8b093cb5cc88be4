"""LoRA adapters on Wan transformers: add, save (diffusers format), load (diffusers or original-Wan keys).

Saved files are what ``WanImageToVideoPipeline.load_lora_weights`` and ComfyUI read: safetensors with
keys ``transformer.<module>.lora_A.weight`` / ``lora_B.weight`` and the peft ``LoraConfig`` as JSON
under the header key ``lora_adapter_metadata`` (prefixed ``transformer.``), written by diffusers'
own ``WanLoraLoaderMixin.save_lora_weights`` into a temporary file that is then renamed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from motionctx.errors import RecipeError, WeightsError
from motionctx.io.atomic import atomic_path

#: The peft adapter name motionctx trains and loads into.
ADAPTER = "motionctx"
#: Feed-forward layers of every Wan block (the DreamActor-M2 recipe: never attention, never embedders).
FFN_TARGETS: tuple[str, ...] = (r"blocks\.\d+\.ffn\.net\.0\.proj", r"blocks\.\d+\.ffn\.net\.2")


def target_regex(patterns: tuple[str, ...]) -> str:
    """One full-match regex for peft's ``target_modules`` from module-name patterns."""
    return "|".join(f"(?:{p})" for p in patterns)


def adapter_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The motionctx adapter's parameters in ``model``."""
    return [p for n, p in model.named_parameters() if f".{ADAPTER}." in n and "lora_" in n]


def _make_trainable(model: torch.nn.Module, dtype: torch.dtype | None) -> None:
    model.requires_grad_(False)
    for p in adapter_parameters(model):
        if dtype is not None:
            p.data = p.data.to(dtype)
        p.requires_grad_(True)


def add(model: torch.nn.Module, rank: int, alpha: float, targets: tuple[str, ...], dtype: torch.dtype | None) -> None:
    """Attach a fresh trainable adapter (B = 0, so the model is unchanged) and freeze the rest."""
    from peft import LoraConfig

    if ADAPTER in getattr(model, "peft_config", {}):
        model.delete_adapters(ADAPTER)
    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=target_regex(targets), init_lora_weights=True)
    try:
        model.add_adapter(config, adapter_name=ADAPTER)
    except ValueError as exc:
        raise RecipeError(
            f"LoRA targets {list(targets)} match no module of the Wan transformer ({exc})",
            r"use module-name regexes such as 'blocks\.\d+\.ffn\.net\.2'",
        ) from exc
    model.set_adapters([ADAPTER])
    _make_trainable(model, dtype)


def save(model: torch.nn.Module, path: str | Path) -> Path:
    """Write the motionctx adapter of ``model`` to ``path`` atomically in diffusers format."""
    from diffusers import WanImageToVideoPipeline
    from peft.utils import get_peft_model_state_dict

    if ADAPTER not in getattr(model, "peft_config", {}):
        raise RecipeError("save_lora: the backbone has no LoRA adapter", "call add_lora() or load_lora() first")
    layers = {
        k: v.detach().to("cpu").contiguous() for k, v in get_peft_model_state_dict(model, adapter_name=ADAPTER).items()
    }
    metadata = model.peft_config[ADAPTER].to_dict()
    with atomic_path(path) as tmp:
        WanImageToVideoPipeline.save_lora_weights(
            save_directory=str(tmp.parent),
            transformer_lora_layers=layers,
            weight_name=tmp.name,
            transformer_lora_adapter_metadata=metadata,
        )
    return Path(path)


def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any] | None]:
    from safetensors import safe_open

    if not path.is_file():
        raise WeightsError(f"LoRA file {path} does not exist", "check the path (save_lora writes .safetensors)")
    try:
        with safe_open(str(path), framework="pt") as fh:
            header = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 - safe_open has no items()
    except Exception as exc:  # noqa: BLE001 - any failure to read is a weights problem
        raise WeightsError(
            f"LoRA file {path} is not a readable safetensors file ({exc})",
            "pass the lora.safetensors a training run wrote (or a diffusers-format LoRA); a truncated copy must be copied again",
        ) from exc
    raw = header.get("lora_adapter_metadata")
    meta = None
    if raw:
        packed = json.loads(raw)
        # keep the "transformer." prefix: load_lora_adapter filters the metadata by it
        meta = {k: v for k, v in packed.items() if k.startswith("transformer.")} or None
    return tensors, meta


def _comfy_diffusers_names(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``diffusion_model.<diffusers module>.lora_down/up`` (+ ``.alpha``) -> ``transformer.<module>.lora_A/B``.

    The alpha of each module is folded into its weights (peft then runs with scale 1).
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in sd.items():
        if key.endswith(".alpha"):
            continue
        module, _, kind = key.removeprefix("diffusion_model.").rpartition(".lora_")
        kind = {"down.weight": "A.weight", "up.weight": "B.weight"}.get(kind, kind)
        out[f"transformer.{module}.lora_{kind}"] = value
    for key, value in sd.items():
        if key.endswith(".alpha"):
            module = key.removeprefix("diffusion_model.").removesuffix(".alpha")
            a = out[f"transformer.{module}.lora_A.weight"]
            out[f"transformer.{module}.lora_A.weight"] = a * (float(value) / a.shape[0])
    return out


def load(model: torch.nn.Module, path: str | Path, pipe: Any, dtype: torch.dtype | None) -> None:
    """Load a LoRA file into ``model`` as the (trainable) motionctx adapter, replacing any previous one.

    Accepts diffusers files (``transformer.`` keys, with or without metadata) and the original-Wan /
    ComfyUI layout (``diffusion_model.`` keys, ``lora_A/lora_B`` or ``lora_down/lora_up``, optional
    ``.alpha``), with original module names (``ffn.0``, ``self_attn.q``) or diffusers ones.
    """
    from diffusers import WanImageToVideoPipeline

    path = Path(path)
    sd, meta = _read(path)
    if any(k.startswith("diffusion_model.") and ".ffn.net." in k for k in sd):
        sd = _comfy_diffusers_names(sd)
    try:
        sd = WanImageToVideoPipeline.lora_state_dict(sd)
        sd = {k: v for k, v in sd.items() if k.startswith("transformer.")}
        if not sd:
            raise ValueError("no transformer LoRA keys found")
        if ADAPTER in getattr(model, "peft_config", {}):
            model.delete_adapters(ADAPTER)
        model.load_lora_adapter(sd, prefix="transformer", adapter_name=ADAPTER, metadata=meta, _pipeline=pipe)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise WeightsError(
            f"LoRA file {path} does not fit this Wan transformer ({type(exc).__name__}: {exc})",
            "use a LoRA trained for the same Wan model (same block count and widths)",
        ) from exc
    model.set_adapters([ADAPTER])
    _make_trainable(model, dtype)
