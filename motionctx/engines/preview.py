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


#: Width of the label column of a labelled contact sheet, in pixels.
LABEL_WIDTH = 80
#: Previews of smaller outputs are enlarged by repeating pixels until they are at least this tall.
MIN_PREVIEW_HEIGHT = 128


def contact_sheet(rows: list[Video], columns: int = 6, height: int | None = None, gap: int = 4,
                  labels: list[str] | None = None) -> Image:
    """A grid: one row per video, ``columns`` frames sampled evenly across each; with ``labels``,
    a white column on the left names each row."""
    import torch

    if labels is not None and len(labels) != len(rows):
        raise ValueError(f"{len(labels)} labels for {len(rows)} rows")
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
    grid = torch.cat(padded, dim=-2)
    if labels is not None:
        grid = torch.cat([_label_column(labels, grid.shape[-2], height, gap), grid], dim=-1)
    return Image(grid.contiguous())


def _label_column(labels: list[str], total: int, row_height: int, gap: int) -> torch.Tensor:
    """A white ``LABEL_WIDTH``-wide column with each label at the middle of its row."""
    import numpy as np
    import torch
    from PIL import Image as PILImage
    from PIL import ImageDraw

    canvas = PILImage.new("RGB", (LABEL_WIDTH, total), "white")
    draw = ImageDraw.Draw(canvas)
    for r, label in enumerate(labels):
        draw.text((3, r * (row_height + gap) + row_height // 2 - 5), label[:12], fill="black")
    return torch.from_numpy(np.asarray(canvas, dtype=np.float32) / 255.0).permute(2, 0, 1)


def enlarge(video: Video, factor: int) -> Video:
    """``video`` ``factor`` times larger by repeating pixels (hard edges, no resampling)."""
    if factor <= 1:
        return video
    return Video(video.frames.repeat_interleave(factor, -2).repeat_interleave(factor, -1), video.fps)


def write_previews(folder: Path, reference: Image, driving: Video, motion: Video, output: Video,
                   motion_label: str = "motion") -> dict[str, Path]:
    """``preview.mp4`` (reference | driving | motion | output) and ``contact_sheet.png`` (labelled
    rows: reference, driving, ``motion_label``, output). Outputs under ``MIN_PREVIEW_HEIGHT``
    pixels are enlarged by repeating pixels so that both can be looked at."""
    factor = max(1, -(-MIN_PREVIEW_HEIGHT // output.size[0]))
    height = output.size[0] * factor
    still = Video(reference.pixels[None], driving.fps)
    out = Video(output.frames, driving.fps)
    rows = [enlarge(v, factor) if v.size[0] == output.size[0] else v for v in (still, driving, motion, out)]
    preview = side_by_side(rows, height=height)
    sheet = contact_sheet(rows, height=height, labels=["reference", "driving", motion_label, "output"])
    return {
        "preview": write_video(folder / "preview.mp4", preview, fps=driving.fps),
        "contact_sheet": write_image(folder / "contact_sheet.png", sheet),
    }
