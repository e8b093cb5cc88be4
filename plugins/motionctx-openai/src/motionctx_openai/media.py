"""Frames to JPEG data URLs: which frames are sent, how they are resized and encoded.

torch and PIL are imported inside the functions so that plugin discovery stays light.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx_openai.settings import FrameSampling

if TYPE_CHECKING:
    import torch

    from motionctx.types import Image, Video


def sample_indices(total: int, fps: float, sampling: FrameSampling) -> list[int]:
    """Indices of the frames to send from a ``total``-frame video at ``fps``, in time order.

    Frames are taken from the first ``max_seconds`` (all when null), either every
    ``fps / sample_fps`` frames (then the earliest ``num_frames`` are kept) or ``num_frames``
    spread evenly from the first to the last frame of that window.
    """
    if total < 1:
        raise InputError("cannot sample frames from an empty video")
    window = total
    if sampling.max_seconds is not None:
        window = max(1, min(total, int(sampling.max_seconds * fps + 0.5)))
    if sampling.sample_fps is not None:
        step = max(1.0, fps / sampling.sample_fps)
        picks: list[int] = []
        pos = 0.0
        while int(pos + 0.5) < window and len(picks) < sampling.num_frames:
            picks.append(int(pos + 0.5))
            pos += step
        return picks
    n = min(sampling.num_frames, window)
    if n == 1:
        return [0]
    return [int(i * (window - 1) / (n - 1) + 0.5) for i in range(n)]


def _jpeg(pixels: torch.Tensor, sampling: FrameSampling) -> bytes:
    from PIL import Image as PILImage

    array = pixels.detach().float().clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).cpu().numpy()
    picture = PILImage.fromarray(array)
    if max(picture.size) > sampling.max_side:
        picture.thumbnail((sampling.max_side, sampling.max_side), PILImage.Resampling.BICUBIC)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=sampling.jpeg_quality)
    return out.getvalue()


def video_jpegs(video: Video, sampling: FrameSampling) -> list[bytes]:
    """The sampled frames of ``video`` as JPEG bytes."""
    indices = sample_indices(video.num_frames, video.fps, sampling)
    return [_jpeg(video.frames[i], sampling) for i in indices]


def image_jpeg(image: Image, sampling: FrameSampling) -> bytes:
    """``image`` as JPEG bytes, resized like the video frames."""
    return _jpeg(image.pixels, sampling)


def image_part(jpeg: bytes, detail: str | None = None) -> dict[str, Any]:
    """An ``image_url`` content part carrying ``jpeg`` as a base64 data URL."""
    url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    part: dict[str, Any] = {"url": url}
    if detail:
        part["detail"] = detail
    return {"type": "image_url", "image_url": part}


def user_message(text: str, jpegs: list[bytes], detail: str | None = None) -> dict[str, Any]:
    """One user message: the instruction text, then the images in order."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    content.extend(image_part(j, detail) for j in jpegs)
    return {"role": "user", "content": content}
