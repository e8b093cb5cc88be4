"""Video read/write with PyAV (H.264 mp4 when the build has it, else MPEG-4 Part 2)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from motionctx.errors import InputError
from motionctx.io.atomic import atomic_path
from motionctx.io.image import read_image
from motionctx.types import Video

if TYPE_CHECKING:
    import torch

_CODECS = ("libx264", "h264", "libopenh264", "mpeg4")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}


def existing(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` when it is a file; else an InputError naming ``what`` and the path."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{what} {str(p)!r} is a folder", f"pass the path of a {what} file")
    if not p.is_file():
        raise InputError(f"{what} {str(p)!r} does not exist", "check the path (relative paths start from the current folder)")
    return p


@contextmanager
def decode_errors(path: str | os.PathLike[str], what: str = "read") -> Iterator[None]:
    """Turn whatever PyAV raises for a broken file into one InputError naming the file and the fix
    (InputErrors pass through unchanged)."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:  # PyAV raises many error types for broken files
        raise InputError(
            f"cannot {what} video {str(path)!r}: {type(exc).__name__}: {exc}".splitlines()[0],
            "the file is corrupt or not a video; re-encode it, e.g. `ffmpeg -i in -c:v libx264 out.mp4`",
        ) from None


def stream_fps(stream: object) -> float:
    """A video stream's frame rate (average, else guessed, else 16)."""
    return float(getattr(stream, "average_rate", None) or getattr(stream, "guessed_rate", None) or 16)


def scaled_size(size: tuple[int, int], max_area: int | None) -> tuple[int, int]:
    """``size (H, W)`` scaled down (aspect kept, sides even) to at most about ``max_area`` pixels;
    unchanged when it is already that small or ``max_area`` is None."""
    h, w = size
    if max_area is None or h * w <= max_area:
        return size
    scale = (max_area / (h * w)) ** 0.5
    return max(2, round(h * scale / 2) * 2), max(2, round(w * scale / 2) * 2)


def read_video(
    path: str | os.PathLike[str], *, max_frames: int | None = None, start: int = 0, max_area: int | None = None,
    max_values: int | None = None,
) -> Video:
    """Decode a video file into a :class:`Video` (RGB, fps from the stream, ``start`` recorded).

    ``max_area``: frames larger than that many pixels are scaled down while decoding (aspect kept,
    see :func:`scaled_size`), so a long high-resolution clip never sits in memory at full size.
    Raises InputError when the file is missing, unreadable or has no video frames, when a frame
    is above :data:`~motionctx.checks.MAX_IMAGE_PIXELS`, or when the decoded frames would hold more
    than ``max_values`` values (default :data:`~motionctx.checks.MAX_VIDEO_VALUES`).
    """
    import av
    import numpy as np
    import torch

    from motionctx.checks import MAX_IMAGE_PIXELS, MAX_VIDEO_VALUES

    limit = MAX_VIDEO_VALUES if max_values is None else max_values

    p = existing(path, "video")
    if p.suffix.lower() in IMAGE_SUFFIXES:
        image = read_image(p).pixels[None]
        h, w = scaled_size(tuple(image.shape[-2:]), max_area)
        if (h, w) != tuple(image.shape[-2:]):
            image = torch.nn.functional.interpolate(image, size=(h, w), mode="area").clamp(0, 1)
        return Video(image, 1.0)
    frames = []
    with decode_errors(p), av.open(str(p)) as container:
        if not container.streams.video:
            raise InputError(f"video {str(p)!r} has no video stream", "pass a video file (mp4, webm, mov, ...)")
        stream = container.streams.video[0]
        fps = stream_fps(stream)
        for i, frame in enumerate(container.decode(stream)):
            if i < start:
                continue
            h, w = scaled_size((frame.height, frame.width), max_area)
            if h * w > MAX_IMAGE_PIXELS:
                raise InputError(f"video {str(p)!r} has {frame.height}x{frame.width} (H x W) frames, above the limit "
                                 f"of {MAX_IMAGE_PIXELS} pixels", "scale the video down first (for example with ffmpeg)")
            if (len(frames) + 1) * h * w * 3 > limit:
                raise InputError(
                    f"video {str(p)!r} is too large to decode whole: more than {len(frames)} frames of {h}x{w} "
                    f"(H x W) would exceed {limit} values",
                    "use a shorter clip or fewer frames (the stage's frames / max_frames setting) or a smaller size",
                )
            if (h, w) == (frame.height, frame.width):
                frames.append(frame.to_ndarray(format="rgb24"))
            else:
                frames.append(frame.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA"))
            if max_frames is not None and len(frames) >= max_frames:
                break
    if not frames:
        raise InputError(f"video {str(p)!r} has no frames" + (f" after frame {start}" if start else ""))
    array = np.stack(frames)
    del frames  # the list and the stack would otherwise both stay alive during the conversion
    return Video.from_uint8(torch.from_numpy(array), fps, start)


def _even(frames: torch.Tensor) -> torch.Tensor:
    """Pad [T, H, W, 3] uint8 to even sides (yuv420p needs them) by repeating the edge."""
    import torch.nn.functional as F

    h, w = frames.shape[1:3]
    if h % 2 == 0 and w % 2 == 0:
        return frames
    x = frames.permute(0, 3, 1, 2).float()
    x = F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")
    return x.to(frames.dtype).permute(0, 2, 3, 1)


def write_video(
    path: str | os.PathLike[str], video: Video, *, fps: float | None = None, crf: int = 18, lossless: bool = False
) -> Path:
    """Encode ``video`` to ``path`` (mp4) atomically; odd sides are padded by one pixel.

    ``lossless``: RGB H.264 at crf 0 (``libx264rgb``), decoded back to exactly the same pixels;
    for training data, where 4:2:0 chroma would blur small colour details. Few players show it.
    """
    import av

    rate = Fraction(fps or video.fps).limit_denominator(1001)
    frames = _even(video.to_uint8()).contiguous().numpy()
    target = Path(path)
    with atomic_path(target) as tmp:
        with av.open(str(tmp), mode="w", format="mp4" if target.suffix.lower() in ("", ".mp4") else None) as out:
            stream = None
            for codec in ("libx264rgb",) if lossless else _CODECS:
                try:
                    stream = out.add_stream(codec, rate=rate)
                    break
                except Exception:  # codec not in this PyAV build
                    continue
            if stream is None:
                what = "lossless RGB video encoder (libx264rgb)" if lossless else "video encoder"
                raise InputError(f"no usable {what} in this PyAV build", "pip install --force-reinstall av")
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "rgb24" if lossless else "yuv420p"
            if lossless:
                stream.options = {"crf": "0", "preset": "medium"}
            elif stream.codec_context.name in ("libx264", "h264"):
                stream.options = {"crf": str(crf), "preset": "medium"}
            else:
                stream.bit_rate = 8_000_000
            for arr in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    return target
