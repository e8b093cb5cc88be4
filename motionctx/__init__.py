"""motionctx: animate a reference character with the motion of a driving video by in-context
motion injection into a pretrained image-to-video model.

The top level stays import-light; ``load_recipe`` and ``build_part`` import what they need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from motionctx.errors import MotionctxError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from motionctx.recipe import Recipe


def load_recipe(path: str, overrides: list[str] | dict[str, Any] | None = None) -> Recipe:
    """Load and validate a recipe file; ``overrides`` are ``"a.b=c"`` strings or a dotted-key dict."""
    from motionctx.recipe import load_recipe as _load

    return _load(path, overrides)


def build_part(kind: str, use: str, params: dict[str, Any] | None = None) -> Any:
    """Build one part by kind and name, e.g. ``build_part("composer", "spatial")``."""
    from motionctx.plugins import build_part as _build

    return _build(kind, use, params)


__all__ = ["MotionctxError", "__version__", "build_part", "load_recipe"]
