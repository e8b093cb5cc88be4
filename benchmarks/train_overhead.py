"""How much the training engine costs on top of a bare PyTorch loop over the same tiny model.

Both loops train LoRA rank 4 on a tiny random Wan 2.1-style I2V model on the CPU with one 5-frame
32x32 clip per step (composite 32x64). The bare loop reuses one ready batch and runs
``training_loss -> backward -> clip -> AdamW step``. The engine runs its own step (loss through
the accelerate-prepared module, the cross-process agreement on loss and signals, clipping,
scheduler, metrics, callbacks) on the same batch (``train_overhead_ratio``, goal <= 1.10), and
then as it trains for real, reading a new window from an mp4 and building its composite every
step on the training thread (``train_overhead_ratio_with_data``). Median step times after warm-up.

    .venv/bin/python benchmarks/train_overhead.py [--steps 40] [--workers 0]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def build(root: Path, clips: int) -> tuple[Path, Path]:
    """A tiny Wan folder and a manifest of moving-square clips (all 32x32, 9 frames)."""
    from motionctx.io import write_video
    from motionctx.types import Video
    from motionctx_wan.tiny import build_tiny_wan

    model = build_tiny_wan(root / "wan", "i2v", seed=0)
    lines = []
    for i in range(clips):
        frames = torch.full((9, 3, 32, 32), 0.5)
        for t in range(9):
            frames[t, :, 8:20, 2 + 2 * t : 14 + 2 * t] = torch.tensor([0.9, 0.2 + 0.1 * (i % 5), 0.3])[:, None, None]
        write_video(root / f"clip{i}.mp4", Video(frames, 8.0))
        lines.append(json.dumps({"id": f"clip{i}", "path": f"clip{i}.mp4", "caption": "a square moving"}))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return model, root / "manifest.jsonl"


def load_parts(model: Path):
    from motionctx.builtins.composers import SpatialComposer
    from motionctx.builtins.motion_sources import RawVideoMotionSource
    from motionctx.plugins import build_part

    backbone = build_part("backbone", "wan_i2v", {"path": str(model), "dtype": "float32", "device": "cpu"})
    backbone.ensure_loaded()
    return backbone, RawVideoMotionSource(), SpatialComposer()


class SameBatch:
    """``data[g]``: the one ready batch, renumbered (the engine with the bare loop's batch)."""

    def __init__(self, batch) -> None:
        self.batch = batch

    def __getitem__(self, index: int):
        import dataclasses

        return dataclasses.replace(self.batch, index=int(index))


def engine_times(model: Path, index: Path, out: Path, steps: int, workers: int, data=None) -> list[float]:
    from motionctx.engines.training.loop import Trainer, TrainParts
    from motionctx.engines.training.options import TrainConfig

    config = TrainConfig(
        steps=steps,
        frames=(5, 5),
        buckets=[(32, 32)],
        lora_rank=4,
        lr=1e-4,
        warmup_steps=0,
        log_every=10,
        checkpoint_every=10_000,
        num_workers=workers,
        prefetch=0,
        tensorboard=False,
        folder=f"train-{time.time_ns()}",
    )
    times: list[float] = []
    last = [time.perf_counter()]

    def tick(step: int, info: dict) -> None:  # wall time between steps: everything the loop does
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    trainer = Trainer(
        config, TrainParts(*load_parts(model)), out, index=index, log=lambda m: None, callbacks=[tick], data=data
    )
    trainer.run()
    return times


def ready_batch(model: Path, index: Path):
    from motionctx.engines.training.data import BatchPlanner, TrainingData, load_clips
    from motionctx.engines.training.prepare import read_index

    backbone, motion, composer = load_parts(model)
    clips = load_clips(read_index(index), None, [(32, 32)])
    planner = BatchPlanner(clips, batch_size=1, frames=(5, 5), stride=1, geometry=backbone.geometry, seed=0)
    return TrainingData(clips, planner, motion, composer, backbone.geometry, seed=0)[0]


def bare_times(model: Path, batch, steps: int) -> list[float]:
    backbone, _, _ = load_parts(model)
    torch.manual_seed(0)
    backbone.add_lora(rank=4)
    params = backbone.trainable_parameters()
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(i)
        loss = backbone.training_loss(batch.composites, batch.clean, batch.prompts, gen)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        float(loss.detach())
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from motionctx.engines.training.options import PrepareConfig
    from motionctx.engines.training.prepare import PrepareParts, prepare_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model, manifest = build(root, clips=8)
        config = PrepareConfig(manifest=str(manifest), min_frames=5, text_embeddings=False)
        report = prepare_dataset(config, PrepareParts(), root / "out", log=lambda m: None)
        batch = ready_batch(model, report.index)
        w, n = args.warmup, args.steps
        rows: dict[str, list[float]] = {"bare": [], "engine": [], "engine+data": []}
        for _ in range(args.rounds):  # interleaved, so load changes on a shared machine hit all alike
            rows["bare"] += bare_times(model, batch, n)[w:]
            rows["engine"] += engine_times(model, report.index, root / "out", n, args.workers, SameBatch(batch))[w:]
            rows["engine+data"] += engine_times(model, report.index, root / "out", n, args.workers)[w:]
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"{'loop':<13}{'median s/step':>15}{'steps/s':>10}{'samples':>9}")
    for k, v in rows.items():
        print(f"{k:<13}{med[k]:>15.4f}{1 / med[k]:>10.2f}{len(v):>9}")
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, workers {args.workers}, "
        f"python {sys.version.split()[0]}"
    )
    ratio, with_data = med["engine"] / med["bare"], med["engine+data"] / med["bare"]
    print(
        f"RESULT train_overhead_ratio={ratio:.3f} train_overhead_ratio_with_data={with_data:.3f} "
        f"engine_steps_per_s={1 / med['engine+data']:.2f} bare_steps_per_s={1 / med['bare']:.2f}"
    )


if __name__ == "__main__":
    main()
