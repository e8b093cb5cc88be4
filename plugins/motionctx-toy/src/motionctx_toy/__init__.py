"""motionctx-toy: a procedural world of articulated 2D characters with exact ground truth.

Import-light on purpose: the public names load on first use, so plugin discovery (which imports
``motionctx_toy.plugin``) pulls in neither numpy nor torch.

    >>> from motionctx_toy import ToyWorld
    >>> clip = ToyWorld(split="train").clip(7)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ToyWorld": "motionctx_toy.world",
    "WORLDS": "motionctx_toy.world",
    "world_preset": "motionctx_toy.world",
    "CrossIdentityCase": "motionctx_toy.world",
    "cross_identity_case": "motionctx_toy.world",
    "ToyClip": "motionctx_toy.clip",
    "render_clip": "motionctx_toy.clip",
    "render_spec": "motionctx_toy.clip",
    "Character": "motionctx_toy.character",
    "make_character": "motionctx_toy.character",
    "Motion": "motionctx_toy.motion",
    "make_motion": "motionctx_toy.motion",
    "motion_kinds": "motionctx_toy.motion",
    "Background": "motionctx_toy.background",
    "make_background": "motionctx_toy.background",
    "Placement": "motionctx_toy.posing",
    "ClipSpec": "motionctx_toy.spec",
    "skeleton_for": "motionctx_toy.skeletons",
    "get_toy_skeleton": "motionctx_toy.skeletons",
    "write_toy_assets": "motionctx_toy.assets",
    "FAMILIES": "motionctx_toy.families",
    "HELDOUT_START": "motionctx_toy.seeds",
}

__all__ = [
    "FAMILIES",
    "HELDOUT_START",
    "Background",
    "Character",
    "ClipSpec",
    "CrossIdentityCase",
    "Motion",
    "Placement",
    "ToyClip",
    "ToyWorld",
    "WORLDS",
    "cross_identity_case",
    "get_toy_skeleton",
    "make_background",
    "make_character",
    "make_motion",
    "motion_kinds",
    "render_clip",
    "render_spec",
    "skeleton_for",
    "world_preset",
    "write_toy_assets",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'motionctx_toy' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
