"""Where the bundled tiny model lives inside the installed package."""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "bundled"


def bundled_model() -> Path:
    """The bundled toy pipeline folder (trained by recipes/toy/)."""
    return BUNDLED / "model"


def bundled_lora() -> Path | None:
    """The bundled pose LoRA, when present."""
    p = BUNDLED / "pose_lora.safetensors"
    return p if p.is_file() else None
