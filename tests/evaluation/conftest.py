"""A small synthetic benchmark on disk: squares that move over plain backgrounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FRAMES, SIZE = 6, 32


def square_clip(colour: tuple[float, float, float], background: tuple[float, float, float], xs: list[int],
                side: int = 10) -> torch.Tensor:  # noqa: F821
    """``[T, 3, SIZE, SIZE]``: a square of ``colour`` at x = xs[t] (y fixed) over ``background``."""
    import torch

    frames = torch.tensor(background).view(1, 3, 1, 1).repeat(len(xs), 1, SIZE, SIZE)
    for t, x in enumerate(xs):
        frames[t, :, 11 : 11 + side, x : x + side] = torch.tensor(colour).view(3, 1, 1)
    return frames.contiguous()


def write_benchmark(folder: Path, cases: int = 3) -> Path:
    """``cases`` cases: a red square on grey (the reference) should move as a blue square on
    green moves (the driving clip); the target is the red square moving so."""
    from motionctx.io import write_image, write_video
    from motionctx.types import Image, Video

    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(cases):
        path = [2 + (3 + i) * t for t in range(FRAMES)]
        red, grey, blue, green = (0.9, 0.1, 0.1), (0.5, 0.5, 0.5), (0.1, 0.2, 0.9), (0.2, 0.7, 0.2)
        write_image(folder / f"ref{i}.png", Image(square_clip(red, grey, [2])[0]))
        write_video(folder / f"drive{i}.mp4", Video(square_clip(blue, green, path), 8.0))
        write_video(folder / f"target{i}.mp4", Video(square_clip(red, grey, path), 8.0))
        write_image(folder / f"bg{i}.png", Image(square_clip(red, grey, [40])[0]))
        lines.append({"id": f"sq-{i}", "reference": f"ref{i}.png", "driving": f"drive{i}.mp4",
                      "target": f"target{i}.mp4", "background": f"bg{i}.png",
                      "categories": ["fast" if i else "slow", "squares"]})
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return manifest


@pytest.fixture
def benchmark(tmp_path: Path) -> Path:
    return write_benchmark(tmp_path / "bench")


BASELINE_RECIPE = """
motionctx: 1
name: squares
parts:
  truth: {kind: scorer, use: ground_truth}
  flicker: {kind: scorer, use: temporal_flicker}
  smooth: {kind: scorer, use: motion_smoothness}
  colour: {kind: scorer, use: identity_colour}
stages:
  - run: evaluate
    with:
      manifest: MANIFEST
      variants:
        - {name: copy, baseline: reference}
        - {name: answer, baseline: target}
        - {name: driving, baseline: driving}
      size: [32, 32]
"""


@pytest.fixture
def baseline_recipe(tmp_path: Path, benchmark: Path) -> Path:
    path = tmp_path / "eval.yaml"
    path.write_text(BASELINE_RECIPE.replace("MANIFEST", str(benchmark)))
    return path
