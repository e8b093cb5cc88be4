"""Shared fixtures: tiny random Wan folders (built once per session) and loaded float32 backbones."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from motionctx.types import Image, Video
from motionctx_wan.backbone import WanI2VBackbone, WanTI2VBackbone
from motionctx_wan.tiny import build_tiny_wan

BACKBONES = {"i2v": WanI2VBackbone, "i2v_moe": WanI2VBackbone, "ti2v": WanTI2VBackbone}


@pytest.fixture(scope="session")
def tiny_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny_wan")
    return {v: build_tiny_wan(root / v, v) for v in BACKBONES}


def _make_backbone(folder: Path, variant: str, **params):
    bb = BACKBONES[variant](path=str(folder), dtype="float32", **params)
    bb.ensure_loaded()
    return bb


@pytest.fixture(scope="session")
def backbones(tiny_folders) -> dict:
    """One loaded backbone per variant, shared by read-only tests (never add LoRA to these)."""
    return {v: _make_backbone(f, v) for v, f in tiny_folders.items()}


@pytest.fixture
def fresh_backbone(tiny_folders):
    """``fresh_backbone(variant, **params)``: a newly loaded backbone a test may modify (LoRA...)."""
    return lambda variant, **params: _make_backbone(tiny_folders[variant], variant, **params)


@pytest.fixture(scope="session")
def image():
    """``image(h, w, seed=0)``: a reference of exact 8-bit levels (lossless as a PIL image)."""
    return _uint8_image


@pytest.fixture(scope="session")
def video():
    """``video(t, h, w, seed=1)``: random frames in [0, 1]."""
    return _rand_video


def _uint8_image(h: int, w: int, seed: int = 0) -> Image:
    """A reference whose values are exact 8-bit levels (so a PIL copy of it is lossless)."""
    g = torch.Generator().manual_seed(seed)
    return Image(torch.randint(0, 256, (3, h, w), generator=g).float() / 255.0)


def _rand_video(t: int, h: int, w: int, seed: int = 1) -> Video:
    g = torch.Generator().manual_seed(seed)
    return Video(torch.rand(t, 3, h, w, generator=g))
