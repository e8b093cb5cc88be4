"""Checking and loading a local diffusers-format Wan folder.

The folder is read exactly as ``model_index.json`` describes it, so a component class named there
by any installed package (for instance a toy VAE shipped by a plugin) loads like the stock ones.
Nothing is ever fetched from a hub: ``local_files_only=True`` everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import WeightsError

if TYPE_CHECKING:
    import torch

#: Where each backbone's weights come from, for the error hint (text only, never executed).
DOWNLOAD_HINTS: dict[str, str] = {
    "wan_i2v": (
        "on a machine with internet run `huggingface-cli download Wan-AI/Wan2.1-I2V-14B-480P-Diffusers "
        "--local-dir {folder}` (or Wan2.1-I2V-14B-720P-Diffusers / Wan2.2-I2V-A14B-Diffusers), copy the "
        "folder here and point `path:` at it"
    ),
    "wan_ti2v": (
        "on a machine with internet run `huggingface-cli download Wan-AI/Wan2.2-TI2V-5B-Diffusers "
        "--local-dir {folder}`, copy the folder here and point `path:` at it"
    ),
}

_MODEL_PARTS = ("transformer", "transformer_2", "vae", "text_encoder", "image_encoder")
_WEIGHT_SUFFIXES = (".safetensors", ".safetensors.index.json", ".bin", ".bin.index.json")
_REQUIRED = ("tokenizer", "text_encoder", "vae", "scheduler")


def _fail(backbone: str, folder: Path, problem: str) -> WeightsError:
    hint = DOWNLOAD_HINTS.get(backbone, DOWNLOAD_HINTS["wan_i2v"]).format(folder=folder)
    return WeightsError(f"{backbone}: weights folder {folder} {problem}", hint)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None when the file is absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def folder_problems(path: str | Path) -> list[str]:
    """What a diffusers-format folder lacks, one entry per problem (``"does not exist"``,
    ``"missing vae/config.json"``...); empty when it looks complete. Reads only small files."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return ["does not exist"]
    index_file = folder / "model_index.json"
    if not index_file.is_file():
        return ["is incomplete: missing model_index.json"]
    index = read_json(index_file)
    if index is None:
        return ["has an unreadable model_index.json (not a JSON object)"]
    present = {k for k, v in index.items() if isinstance(v, list) and len(v) == 2 and v[0] and v[1]}
    missing = [f"{name}/ (not named in model_index.json)" for name in _REQUIRED if name not in present]
    if not present & {"transformer", "transformer_2"}:
        missing.append("transformer/ (not named in model_index.json)")
    for name in sorted(present):
        sub = folder / name
        if not sub.is_dir():
            missing.append(f"{name}/")
        elif name in _MODEL_PARTS:
            if not (sub / "config.json").is_file():
                missing.append(f"{name}/config.json")
            if not any(f.name.endswith(_WEIGHT_SUFFIXES) for f in sub.iterdir()):
                missing.append(f"{name}/*.safetensors")
        elif name == "scheduler" and not (sub / "scheduler_config.json").is_file():
            missing.append("scheduler/scheduler_config.json")
        elif name == "tokenizer" and not any(sub.iterdir()):
            missing.append("tokenizer/ files")
    return ["is incomplete: missing " + ", ".join(missing)] if missing else []


def check_folder(path: str | Path, backbone: str) -> dict[str, Any]:
    """Validate a diffusers-format folder before any weights load; returns its ``model_index.json``.

    Raises :class:`WeightsError` naming the folder and every missing file or sub-folder.
    """
    folder = Path(path).expanduser()
    problems = folder_problems(folder)
    if problems:
        raise _fail(backbone, folder, problems[0])
    return read_json(folder / "model_index.json") or {}


def folder_geometry(path: str | Path) -> dict[str, Any] | None:
    """VAE factors and patch size read from the folder's config files (no torch, no weights)."""
    folder = Path(path).expanduser()
    vae = read_json(folder / "vae" / "config.json")
    tr = read_json(folder / "transformer" / "config.json") or read_json(folder / "transformer_2" / "config.json")
    if vae is None or tr is None:
        return None
    return {
        "spatial": int(vae.get("scale_factor_spatial") or 8),
        "temporal": int(vae.get("scale_factor_temporal") or 4),
        "patch": tuple(int(p) for p in tr.get("patch_size", (1, 2, 2))),
    }


def torch_dtype(name: str) -> torch.dtype:
    import torch

    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]


def import_plugin_components(folder: Path) -> bool:
    """Import the component modules that ``model_index.json`` names from installed motionctx plugin
    packages (``motionctx_*``), such as the toy model's packing VAE: diffusers only loads classes
    whose module is already imported. Modules of any other name are never imported from a folder."""
    import importlib

    index = read_json(folder / "model_index.json") or {}
    found = False
    for value in index.values():
        if isinstance(value, list) and value and isinstance(value[0], str) and value[0].startswith("motionctx_"):
            found = True
            try:
                importlib.import_module(value[0])
            except ImportError as exc:
                dist = value[0].split(".")[0].replace("_", "-")
                raise WeightsError(
                    f"{folder} needs the component module {value[0]!r}, which cannot be imported ({exc})",
                    f"install the plugin that provides it (pip install {dist})",
                ) from None
    return found


def load_pipeline(path: str | Path, backbone: str, *, dtype: str, vae_dtype: str, expand_timesteps: bool) -> Any:
    """Load the folder into a ``WanImageToVideoPipeline`` (also for TI2V ``WanPipeline`` folders)."""
    folder = Path(path).expanduser()
    check_folder(folder, backbone)

    from diffusers import WanImageToVideoPipeline
    from diffusers.pipelines import pipeline_utils

    custom = import_plugin_components(folder)
    dtypes = {"default": torch_dtype(dtype), "vae": torch_dtype(vae_dtype), "image_encoder": torch_dtype(vae_dtype)}
    # diffusers renamed `torch_dtype` to `dtype`; use whichever this version understands.
    key = "dtype" if hasattr(pipeline_utils, "_resolve_dtype") else "torch_dtype"
    from diffusers.utils import logging as diffusers_logging

    verbosity = diffusers_logging.get_verbosity()
    if custom:  # diffusers warns that a plugin's component is not its own class; that is the point
        diffusers_logging.set_verbosity_error()
    try:
        pipe = WanImageToVideoPipeline.from_pretrained(
            str(folder), local_files_only=True, expand_timesteps=expand_timesteps, **{key: dtypes}
        )
    except Exception as exc:  # noqa: BLE001 - any failure to read the folder is a weights problem
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(backbone, folder, f"could not be loaded ({type(exc).__name__}: {first})") from exc
    finally:
        diffusers_logging.set_verbosity(verbosity)
    pipe.set_progress_bar_config(disable=True)
    return pipe
