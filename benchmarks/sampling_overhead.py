"""Overhead of motionctx's animate path over calling diffusers' WanImageToVideoPipeline directly.

The motionctx side is the whole animate engine (motion source, composer, backbone sampling, extraction:
``motionctx.engines.sampling.animate``) with the ``first_frame`` composer, which gives the model exactly
the stock pipeline's input.

Same tiny random model (built offline by motionctx_wan.tiny), same token count (first_frame composite
at the pipeline's size), same steps, CFG on. Runs alternate between the two paths (ABBA order); the ratio uses the
fastest run of each (the least disturbed by other processes on a shared machine), the median is shown
too. Peak memory: each path runs once in a fresh process that loads the model and samples; the
process's peak RSS (CUDA: max allocated) is reported.

    python benchmarks/sampling_overhead.py [--repeats 11] [--steps 10]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from diffusers.utils import logging as diffusers_logging
from PIL import Image as PILImage
from transformers.utils import logging as transformers_logging

from motionctx.builtins.composers import FirstFrameComposer
from motionctx.builtins.motion_sources import RawVideoMotionSource
from motionctx.engines.sampling import animate
from motionctx.types import Image, Video
from motionctx_wan.backbone import WanI2VBackbone
from motionctx_wan.tiny import build_tiny_wan

PROMPT, NEGATIVE = "a person dancing", "blurry"


def paths(folder: str, size: int, frames: int, steps: int) -> dict:
    """``{"motionctx": fn, "diffusers": fn}`` sampling the same thing through each path."""
    bb = WanI2VBackbone(path=folder, dtype="float32")
    bb.ensure_loaded()
    pipe = bb.pipe  # the very same modules: only the code path differs
    ref = Image(torch.randint(0, 256, (3, size, size), generator=torch.Generator().manual_seed(0)).float() / 255)
    driving = Video(torch.zeros(frames, 3, size, size))
    motion = RawVideoMotionSource()
    pil = PILImage.fromarray(ref.pixels.mul(255).round().byte().permute(1, 2, 0).numpy())

    def ours() -> None:
        animate(bb, motion, FirstFrameComposer(), ref, driving, prompt=PROMPT, negative_prompt=NEGATIVE,
                steps=steps, guidance=5.0, seed=0)

    def stock() -> None:
        pipe(
            image=pil, prompt=PROMPT, negative_prompt=NEGATIVE, height=size, width=size, num_frames=frames,
            num_inference_steps=steps, guidance_scale=5.0, generator=torch.Generator().manual_seed(0),
            output_type="pt",
        )

    return {"motionctx": ours, "diffusers": stock}


def peak_memory_child(args: argparse.Namespace) -> None:
    fn = paths(args.folder, args.size, args.frames, args.steps)[args.child]
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    fn()
    if torch.cuda.is_available():
        print(torch.cuda.max_memory_allocated())
    else:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def main() -> None:
    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--frames", type=int, default=17)
    parser.add_argument("--child", choices=["motionctx", "diffusers"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        peak_memory_child(args)
        return

    s, t = args.size, args.frames
    with tempfile.TemporaryDirectory() as tmp:
        folder = str(build_tiny_wan(Path(tmp) / "wan", "i2v", num_layers=4, attention_head_dim=16, ffn_dim=128))
        fns = paths(folder, s, t, args.steps)
        for fn in fns.values():
            fn()  # warm-up
        times: dict[str, list[float]] = {name: [] for name in fns}
        for r in range(args.repeats):
            for name, fn in list(fns.items())[:: 1 if r % 2 == 0 else -1]:  # ABBA: no side always goes first
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        peaks = {}
        for name in fns:
            cmd = [sys.executable, __file__, "--child", name, "--folder", folder, "--size", str(s),
                   "--frames", str(t), "--steps", str(args.steps)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            peaks[name] = int(out.strip().splitlines()[-1])

    tokens = ((t - 1) // 4 + 1) * (s // 16) ** 2
    kind = "CUDA max allocated" if torch.cuda.is_available() else "process peak RSS"
    print(f"tiny wan_i2v, {t} frames {s}x{s} ({tokens} tokens), {args.steps} steps, CFG, {args.repeats} runs each")
    print(f"{'path':10} {'min s':>7} {'median s':>9} {'peak MiB':>9}   (peak = {kind}, load + one sample)")
    for name, ts in times.items():
        print(f"{name:10} {min(ts):7.3f} {statistics.median(ts):9.3f} {peaks[name] / 2**20:9.1f}")
    ratio = min(times["motionctx"]) / min(times["diffusers"])
    print(f"ratio (fastest motionctx / fastest diffusers) = {ratio:.3f} (goal <= 1.05)")
    print(f"RESULT overhead_ratio={ratio:.3f}")


if __name__ == "__main__":
    main()
