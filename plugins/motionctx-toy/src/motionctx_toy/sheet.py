"""A picture of a benchmark: what each variant drew for a few held-out cases, beside the truth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from motionctx.types import Image, Video

if TYPE_CHECKING:
    import torch

__all__ = ["benchmark_sheet"]

LABEL_WIDTH = 64


def benchmark_sheet(cases: list[Any], outputs: dict[str, list[Video]], *, frames: int = 5, scale: int = 2) -> Image:
    """One block per case: rows ``reference`` (the still), ``driving`` (B's clip), ``target`` (the
    exact answer), then each variant's output, ``frames`` frames across, each row labelled.

    ``outputs`` maps a variant name to its outputs for ``cases``, in order.
    """
    import torch

    from motionctx.engines.preview import contact_sheet

    for name, videos in outputs.items():
        if len(videos) != len(cases):
            raise ValueError(f"variant {name!r} has {len(videos)} outputs for {len(cases)} cases")
    height = cases[0].target.video.size[0] * scale
    blocks = []
    for i, case in enumerate(cases):
        rows = {"reference": Video(case.reference.pixels[None], 1.0), "driving": case.driving.video,
                "target": case.target.video, **{name: videos[i] for name, videos in outputs.items()}}
        big = [Video(v.frames.repeat_interleave(scale, -2).repeat_interleave(scale, -1), v.fps) for v in rows.values()]
        grid = contact_sheet(big, columns=frames, height=height, gap=2).pixels  # hard pixel edges, no resampling
        blocks.append(_with_labels(grid, list(rows), height, gap=2))
    width = blocks[0].shape[-1]
    spaced = [part for b in blocks for part in (b, torch.ones(3, 8, width))][:-1]
    return Image(torch.cat(spaced, dim=-2).contiguous())


def _with_labels(grid: torch.Tensor, labels: list[str], row_height: int, gap: int) -> torch.Tensor:
    """``grid`` with a white column on its left naming each row."""
    import numpy as np
    import torch
    from PIL import Image as PILImage
    from PIL import ImageDraw

    canvas = PILImage.new("RGB", (LABEL_WIDTH, grid.shape[-2]), "white")
    draw = ImageDraw.Draw(canvas)
    for r, label in enumerate(labels):
        draw.text((2, r * (row_height + gap) + row_height // 2 - 5), label[:10], fill="black")
    column = torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 255.0).permute(2, 0, 1)
    return torch.cat([column, grid], dim=-1)
