"""Outputs people can look at: a side-by-side preview video and a PNG contact sheet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from motionctx.io import write_image, write_video
from motionctx.types import Image, Video

if TYPE_CHECKING:
    import torch


def _to_height(frames: torch.Tensor, height: int) -> torch.Tensor:
    import torch.nn.functional as F

    h, w = frames.shape[-2:]
    if h == height:
        return frames
    width = max(2, round(w * height / h))
    return F.interpolate(frames, size=(height, width), mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)


def _frames_at(video: Video, n: int) -> torch.Tensor:
    """``video`` resampled to ``n`` frames by nearest index (a still image repeats)."""
    import torch

    idx = torch.linspace(0, video.num_frames - 1, n).round().long()
    return video.frames[idx]


def side_by_side(panels: list[Video | Image], height: int | None = None, gap: int = 4) -> Video:
    """Panels (videos or still images) resized to one height and joined left to right, white gaps.

    The result has as many frames as the longest panel; shorter ones are stretched in time.
    """
    import torch

    videos = [p if isinstance(p, Video) else Video(p.pixels[None], 1.0) for p in panels]
    n = max(v.num_frames for v in videos)
    height = height or max(v.size[0] for v in videos)
    cols = []
    for i, v in enumerate(videos):
        cols.append(_to_height(_frames_at(v, n), height))
        if gap and i < len(videos) - 1:
            cols.append(torch.ones(n, 3, height, gap))
    fps = next((v.fps for v in videos if v.num_frames == n), videos[0].fps)
    return Video(torch.cat(cols, dim=-1).contiguous(), fps)


def contact_sheet(rows: list[Video], columns: int = 6, height: int | None = None, gap: int = 4) -> Image:
    """A grid: one row per video, ``columns`` frames sampled evenly across each."""
    import torch

    height = height or max(v.size[0] for v in rows)
    lines = []
    for r, video in enumerate(rows):
        frames = _to_height(_frames_at(video, columns), height)
        cells = []
        for c in range(columns):
            cells.append(frames[c])
            if gap and c < columns - 1:
                cells.append(torch.ones(3, height, gap))
        lines.append(torch.cat(cells, dim=-1))
    width = max(line.shape[-1] for line in lines)
    padded = []
    for r, line in enumerate(lines):
        if line.shape[-1] < width:
            line = torch.cat([line, torch.ones(3, height, width - line.shape[-1])], dim=-1)
        padded.append(line)
        if gap and r < len(lines) - 1:
            padded.append(torch.ones(3, gap, width))
    return Image(torch.cat(padded, dim=-2).contiguous())


def write_previews(folder: Path, reference: Image, driving: Video, motion: Video, output: Video) -> dict[str, Path]:
    """``preview.mp4`` (reference | driving | motion | output) and ``contact_sheet.png``
    (rows: driving, motion, output)."""
    height = output.size[0]
    preview = side_by_side([reference, driving, motion, Video(output.frames, driving.fps)], height=height)
    sheet = contact_sheet([driving, motion, output], height=height)
    return {
        "preview": write_video(folder / "preview.mp4", preview, fps=driving.fps),
        "contact_sheet": write_image(folder / "contact_sheet.png", sheet),
    }
