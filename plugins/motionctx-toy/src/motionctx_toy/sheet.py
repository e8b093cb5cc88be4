"""A picture of a benchmark: what each variant drew for a few held-out cases, beside the truth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from motionctx.engines.preview import LABEL_WIDTH
from motionctx.types import Image, Video

if TYPE_CHECKING:
    import torch

__all__ = ["LABEL_WIDTH", "benchmark_sheet"]



def benchmark_sheet(cases: list[Any], outputs: dict[str, list[Video]], *, frames: int = 5, scale: int = 2) -> Image:
    """One block per case: rows ``reference`` (the still), ``driving`` (B's clip), ``target`` (the
    exact answer), then each variant's output, ``frames`` frames across, each row labelled.

    ``outputs`` maps a variant name to its outputs for ``cases``, in order.
    """
    import torch

    from motionctx.engines.preview import contact_sheet, enlarge

    for name, videos in outputs.items():
        if len(videos) != len(cases):
            raise ValueError(f"variant {name!r} has {len(videos)} outputs for {len(cases)} cases")
    height = cases[0].target.video.size[0] * scale
    blocks = []
    for i, case in enumerate(cases):
        rows = {"reference": Video(case.reference.pixels[None], 1.0), "driving": case.driving.video,
                "target": case.target.video, **{name: videos[i] for name, videos in outputs.items()}}
        big = [enlarge(v, scale) for v in rows.values()]  # hard pixel edges, no resampling
        blocks.append(contact_sheet(big, columns=frames, height=height, gap=2, labels=list(rows)).pixels)
    width = blocks[0].shape[-1]
    spaced = [part for b in blocks for part in (b, torch.ones(3, 8, width))][:-1]
    return Image(torch.cat(spaced, dim=-2).contiguous())
