"""A checkpoint as the finished run would have exported it: a LoRA file or a model folder.

Training exports only at its end; this turns any complete checkpoint (``step-NNNNNNNN/``) into the
same thing, so a run can be sampled, benchmarked or shipped part-way. LoRA checkpoints already
hold their ``lora.safetensors`` (the EMA average when EMA is on), which is copied; a full
fine-tune's weights go into the starting model (EMA average when present), which the backbone then
writes as a folder its ``path`` loads.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from motionctx.engines.training.checkpoint import META, load_weights
from motionctx.errors import InputError, WeightsError
from motionctx.io import atomic_path, check_replaceable

__all__ = ["export_checkpoint"]

LORA_FILE = "lora.safetensors"
#: the files every checkpoint has; any other ``.safetensors`` is its LoRA file (named by ``export``)
OWN_FILES = ("trainable.safetensors", "ema.safetensors")


def export_checkpoint(checkpoint: str | Path, out: str | Path | None, load_backbone: Callable[[], Any]) -> Path:
    """Export ``checkpoint``; returns the LoRA file or model folder written (or found).

    ``out`` is where to write: for a LoRA checkpoint a ``.safetensors`` file (anything else is a
    folder that gets ``lora.safetensors`` inside; None returns the checkpoint's own file), for a
    full fine-tune a model folder (None means ``<checkpoint>/model``). ``load_backbone`` returns
    the backbone loaded from the model the run started from; it is called only for full fine-tunes.
    """
    ckpt = Path(checkpoint)
    if not (ckpt / META).is_file():
        raise InputError(
            f"{str(ckpt)!r} is not a complete training checkpoint (no {META})",
            "pass a step-NNNNNNNN folder from the run's checkpoints/ folder",
        )
    lora = next((p for p in sorted(ckpt.glob("*.safetensors")) if p.name not in OWN_FILES), None)
    if lora is not None:
        _check_lora_file(lora)
        if out is None:
            return lora
        target = Path(out)
        if target.is_dir() or target.suffix != ".safetensors":
            target = target / LORA_FILE
        with atomic_path(target) as tmp:
            shutil.copyfile(lora, tmp)
        return target
    if _holds_lora(ckpt):
        raise InputError(
            f"{str(ckpt)!r} holds LoRA adapters but no LoRA file (it was written with checkpoint_lora: false)",
            "resume the run with checkpoint_lora: true; its next checkpoint will hold the file",
        )
    folder = Path(out) if out is not None else ckpt / "model"
    check_replaceable(folder, "model_index.json", "--out")
    backbone = load_backbone()
    load_weights(backbone, ckpt)
    return Path(backbone.save_pretrained(folder))


def _check_lora_file(path: Path) -> None:
    """A LoRA file must be a readable safetensors file holding tensors (a zero-byte file from a
    full disk would otherwise be exported as if fine)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            empty = not list(f.keys())
    except (OSError, SafetensorError, ValueError) as exc:
        raise WeightsError(
            f"LoRA file {str(path)!r} is not a readable safetensors file ({exc})".splitlines()[0],
            "the checkpoint is damaged: export an earlier step-NNNNNNNN folder",
        ) from None
    if empty:
        raise WeightsError(f"LoRA file {str(path)!r} holds no tensors", "export an earlier step-NNNNNNNN folder")


def _holds_lora(ckpt: Path) -> bool:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(ckpt / "trainable.safetensors"), framework="pt") as f:
            return any("lora_" in k for k in f.keys())  # noqa: SIM118 (safe_open is not a mapping)
    except (OSError, SafetensorError):  # unreadable: load_weights reports it with the fix
        return False
