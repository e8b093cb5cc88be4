"""Longer training checks (excluded from the default suite: run with ``-m heavy``)."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

pytestmark = pytest.mark.heavy


def test_loss_goes_down_over_300_cpu_steps(tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit) -> None:
    """LoRA on the tiny Wan model, 8 moving-square clips (raw_video motion: the target is the
    motion half, so there is something to learn): the mean loss of the last 50 of 300 steps is
    well below that of the first 50."""
    from motionctx.builtins.composers import SpatialComposer
    from motionctx.builtins.motion_sources import RawVideoMotionSource
    from motionctx.engines.training.loop import Trainer, TrainParts
    from motionctx.engines.training.options import PrepareConfig, TrainConfig
    from motionctx.engines.training.prepare import PrepareParts, prepare_dataset
    from motionctx.plugins import build_part

    manifest = make_clips([(32, 32)] * 8, frames=9)
    report = prepare_dataset(
        PrepareConfig(manifest=str(manifest), min_frames=5, text_embeddings=False),
        PrepareParts(),
        tmp_path / "out",
        log=lambda m: None,
    )
    backbone = build_part("backbone", "wan_i2v", {"path": str(tiny_wan), "dtype": "float32", "device": "cpu"})
    backbone.ensure_loaded()
    config = TrainConfig(
        steps=300,
        frames=(5, 5),
        buckets=[(32, 32)],
        lora_rank=16,
        lr=1e-3,
        warmup_steps=10,
        checkpoint_every=100,
        log_every=10,
        tensorboard=False,
    )
    losses: list[float] = []
    result = Trainer(
        config,
        TrainParts(backbone, RawVideoMotionSource(), SpatialComposer()),
        tmp_path / "out",
        index=report.index,
        cache=tmp_path / "out" / "cache",
        log=lambda m: None,
        callbacks=[lambda step, info: losses.append(info["loss"])],
    ).run()
    first, last = statistics.mean(losses[:50]), statistics.mean(losses[-50:])
    print(f"loss first 50 steps {first:.4f}, last 50 {last:.4f}, {result.steps_per_second:.2f} steps/s")
    assert len(losses) == 300 and last < 0.85 * first
