"""Video access for data preparation and training: probing, windows by seeking, decoding in chunks.

``motionctx.io.read_video`` decodes from the first frame; training reads short windows of long
clips many times, so :func:`read_window` seeks to the key frame before the window instead, and
:func:`iter_chunks` walks a whole clip without holding it in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx.io.video import decode_errors, stream_fps
from motionctx.types import Video

if TYPE_CHECKING:
    import numpy as np

__all__ = ["VideoInfo", "iter_chunks", "probe", "read_window"]


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns from a video's container without decoding it all."""

    frames: int
    fps: float
    size: tuple[int, int]
    codec: str


def _open(path: str | Path) -> Any:
    import av

    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"video {str(p)!r} does not exist", "check the path in the manifest (relative paths start at its folder)"
        )
    with decode_errors(p, "open"):
        container = av.open(str(p))
    if not container.streams.video:
        container.close()
        raise InputError(f"video {str(p)!r} has no video stream", "pass a video file (mp4, webm, mov, ...)")
    return container


def probe(path: str | Path, *, decode_first: bool = True) -> VideoInfo:
    """Frame count, rate, size ``(H, W)`` and codec. The count comes from the container, or from
    counting packets when the container does not say; ``decode_first`` also decodes one frame so
    that undecodable files are caught."""
    container = _open(path)
    try:
        with decode_errors(path, "decode"):
            stream = container.streams.video[0]
            ctx = stream.codec_context
            size = (int(ctx.height), int(ctx.width))
            frames = int(stream.frames or 0)
            if frames <= 0:
                frames = sum(1 for packet in container.demux(stream) if packet.size)
                container.seek(0)
            if decode_first:
                first = next(iter(container.decode(stream)), None)
                if first is None:
                    raise InputError(f"video {str(path)!r} has no decodable frames")
                size = (int(first.height), int(first.width))
            return VideoInfo(frames, stream_fps(stream), size, str(ctx.name))
    finally:
        container.close()


def _to_video(arrays: list[np.ndarray], fps: float, start: int = 0) -> Video:
    import numpy as np
    import torch

    return Video.from_uint8(torch.from_numpy(np.stack(arrays)), fps, start)


def _index(frame: Any, stream: Any, fps: float, origin: int) -> int | None:
    if frame.pts is None or stream.time_base is None:
        return None
    return round(float((frame.pts - origin) * stream.time_base) * fps)


def read_window(path: str | Path, start: int, count: int, stride: int = 1) -> Video:
    """Frames ``start, start + stride, ...`` (``count`` of them) of a constant-rate video.

    Seeks to the last key frame before ``start`` and decodes forward, placing frames by their
    timestamps; when that does not give the whole window (no timestamps, a seek that lands past
    the start), it decodes from the beginning instead.
    """
    if start < 0 or count < 1 or stride < 1:
        raise InputError(f"read_window: bad window start={start} count={count} stride={stride}")
    wanted = range(start, start + count * stride, stride)
    out: list[np.ndarray] = []
    fps = 16.0
    container = _open(path)
    try:
        with decode_errors(path, "decode"):
            stream = container.streams.video[0]
            fps = stream_fps(stream)
            origin = int(stream.start_time or 0)
            if stream.time_base is not None:
                if start > 0:
                    container.seek(
                        origin + int(start / fps / stream.time_base), stream=stream, backward=True, any_frame=False
                    )
                for frame in container.decode(stream):
                    idx = _index(frame, stream, fps, origin)
                    if idx is None or (idx > start and not out):
                        out = []
                        break
                    if idx in wanted:
                        out.append(frame.to_ndarray(format="rgb24"))
                        if len(out) == count:
                            break
                    elif idx > wanted[-1]:
                        break
    finally:
        container.close()
    if len(out) < count:
        out = _decode_sequential(path, wanted)
    if len(out) < count:
        raise InputError(
            f"video {str(path)!r} has no frames {wanted.start}..{wanted[-1]} (stride {stride})",
            "the clip is shorter than the manifest or index says; run the prepare stage again",
        )
    return _to_video(out, fps, start if stride == 1 else 0)  # a strided window is no contiguous cut


def _decode_sequential(path: str | Path, wanted: range) -> list[np.ndarray]:
    container = _open(path)
    out = []
    try:
        for i, frame in enumerate(container.decode(container.streams.video[0])):
            if i in wanted:
                out.append(frame.to_ndarray(format="rgb24"))
            if i >= wanted[-1]:
                break
    finally:
        container.close()
    return out


def iter_chunks(path: str | Path, chunk: int = 64, *, max_frames: int | None = None) -> Iterator[Video]:
    """The whole video as consecutive :class:`Video` chunks of at most ``chunk`` frames."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = stream_fps(stream)
        buf: list[np.ndarray] = []
        first = 0
        for seen, frame in enumerate(container.decode(stream), start=1):
            buf.append(frame.to_ndarray(format="rgb24"))
            if len(buf) == chunk:
                yield _to_video(buf, fps, first)
                buf, first = [], seen
            if max_frames is not None and seen >= max_frames:
                break
        if buf:
            yield _to_video(buf, fps, first)
    finally:
        container.close()
