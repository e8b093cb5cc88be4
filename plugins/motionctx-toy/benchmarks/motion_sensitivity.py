"""Does a toy pose model use its skeleton? Training loss with its own skeleton vs another case's
vs none, on held-out cross-identity cases (see ``motionctx_toy.sensitivity``).

    python plugins/motionctx-toy/benchmarks/motion_sensitivity.py --model M [--lora L | --checkpoint C] [--cases 12]

A model that animates from the skeleton has ``gap_other`` and ``gap_blank`` well above 0 (its loss
rises when the skeleton is wrong or missing); about 0 means the skeleton is ignored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from motionctx import build_part
from motionctx.engines.training.checkpoint import load_weights
from motionctx.errors import MotionctxError
from motionctx.types import Video
from motionctx_toy.seeds import HELDOUT_START
from motionctx_toy.sensitivity import motion_sensitivity
from motionctx_toy.world import ToyWorld

RENDER = {"hands": False, "face": False}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="toy pipeline folder")
    ap.add_argument("--lora", default=None, help="pose LoRA file")
    ap.add_argument("--checkpoint", default=None,
                    help="a full fine-tune checkpoint folder of a run that started from --model: score its weights")
    ap.add_argument("--cases", type=int, default=12)
    ap.add_argument("--draws", type=int, default=4, help="noise draws per case and mode")
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--scale", type=float, default=1.0, help="framing: character size, as trained")
    ap.add_argument("--span", type=float, default=1.0, help="framing: how far motions travel, as trained")
    ap.add_argument("--background", default=None, help="force one background kind (plain, stripes, ...)")
    ap.add_argument("--frames", type=int, default=9, help="frames per case (as the model was trained)")
    ap.add_argument("--high-noise", action="store_true",
                    help="score noise levels near 1 only (train_shift 20) by clean-latent error (sample_loss_floor 1), "
                    "where the skeleton is the main clue; default: the backbone's own training weighting")
    ap.add_argument("--line-scale", type=float, default=0.25, help="skeleton stroke width the model was trained with")
    ap.add_argument("--composer", default="spatial", help="composer the model was trained with (spatial, temporal)")
    ap.add_argument("--signal", choices=("skeleton", "mask", "frames", "driving"), default="skeleton",
                    help="motion signal the model was trained with: the target's skeleton, its foreground mask "
                    "(white on black), its own frames (the copy control), or the driving clip (another identity "
                    "doing the same motion: the end-to-end signal, and what split-screen pretraining shows)")
    ap.add_argument("--rope-parts", type=int, default=1,
                    help="the backbone's rope_parts the model was trained with (2: halves share positions)")
    args = ap.parse_args()

    params = {"path": args.model, "dtype": "float32", "max_sequence_length": 128, "rope_parts": args.rope_parts}
    if args.lora:
        params["lora"] = args.lora
    if args.high_noise:
        params.update(train_shift=20.0, sample_loss_floor=1.0)
    backbone = build_part("backbone", "wan_i2v", params)
    backbone.ensure_loaded()
    if args.checkpoint:
        load_weights(backbone, Path(args.checkpoint))
    composer = build_part("composer", args.composer, {})
    world = ToyWorld(split="heldout", size=(args.size, args.size), frames=args.frames, families=("humanoid",),
                     scale=args.scale, span=args.span, background_kind=args.background)
    cases = [world.cross_identity_case(HELDOUT_START + i) for i in range(args.cases)]

    def skeleton(case):  # the skeleton of the target's own motion: drawn exactly where the answer is
        truth = {"use": "toy_truth", "with": {"clip": case.target.metadata["spec"]}}
        source = build_part("motion_source", "pose", {"estimator": truth, "render": {**RENDER, "line_scale": args.line_scale}})
        return source.prepare(case.target.video, case.reference, train=False, rng=torch.Generator().manual_seed(0))

    def mask(case):
        return Video(case.target.mask.expand(-1, 3, -1, -1).contiguous(), case.target.video.fps)

    signal = {"skeleton": skeleton, "mask": mask, "frames": lambda case: case.target.video,
              "driving": lambda case: case.driving.video}[args.signal]
    r = motion_sensitivity(backbone, composer, signal, cases, draws=args.draws)
    print(f"| {args.signal} | training loss |\n|---|---|")
    for mode in ("own", "other", "blank"):
        print(f"| {mode} | {r[mode]:.5f} |")
    print(f"RESULT loss_own={r['own']:.5f} gap_other={r['gap_other']:.4f} gap_blank={r['gap_blank']:.4f}")


if __name__ == "__main__":
    try:
        main()
    except MotionctxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
