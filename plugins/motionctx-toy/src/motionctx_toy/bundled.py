"""Where the bundled tiny model lives inside the installed package."""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "bundled"


def bundled_model() -> Path:
    """The bundled toy pipeline folder (trained by recipes/toy/)."""
    return BUNDLED / "model"

