"""The Wan step cache on the bundled toy model: less transformer work, nearly the same animation."""

from __future__ import annotations

import math

import pytest

from motionctx import build_part
from motionctx.engines.sampling import animate
from motionctx_toy.bundled import bundled_model
from motionctx_toy.seeds import HELDOUT_START
from motionctx_toy.world import world_preset

BACKBONE = {"path": str(bundled_model()), "dtype": "float32", "max_sequence_length": 128, "rope_parts": 2,
            "hold_known": True}


@pytest.mark.parametrize("options", [{"cache": "first_block", "cache_threshold": 0.1}, {"cache": "taylorseer"}])
def test_cached_toy_model_draws_nearly_the_same_video(options):
    case = world_preset("simple", "heldout").cross_identity_case(HELDOUT_START)
    motion = build_part("motion_source", "pose", {  # the toy's true skeleton, drawn as the model was trained
        "estimator": {"use": "toy_truth", "with": {"clip": case.driving.metadata["spec"]}},
        "render": {"line_scale": 0.25, "hands": False, "face": False},
    })
    composer = build_part("composer", "spatial", {})
    videos, work = [], []
    for params in ({}, options):
        bb = build_part("backbone", "wan_i2v", {**BACKBONE, **params})
        bb.ensure_loaded()
        calls: list[int] = []
        bb.pipe.transformer.blocks[-1].ffn.register_forward_hook(lambda *_, c=calls: c.append(1))
        out = animate(bb, motion, composer, case.reference, case.driving.video, prompt=case.target.caption,
                      steps=20, guidance=1.0, seed=0)
        videos.append(out.video.frames)
        work.append(len(calls))
    mse = float(((videos[0] - videos[1]) ** 2).mean())
    assert work[0] == 20 and work[1] <= 14  # at least 6 of 20 steps reuse the cache
    assert 0 < mse and 10 * math.log10(1 / mse) >= 30  # changed, but by less than 30 dB PSNR
