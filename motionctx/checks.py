"""Checks of user inputs made before any heavy work, and the size limits they enforce.

Limits (documented in docs/cli.md):

- :data:`MAX_IMAGE_PIXELS`: an image file larger than this is refused when read;
- :data:`MAX_CANVAS_PIXELS`: the largest frame a skeleton video is rendered at;
- :data:`MAX_VIDEO_VALUES`: the most values (frames x H x W x 3) one decoded video may hold; a
  longer or larger video is refused while decoding, before it fills the memory;
- :data:`AUTO_AREA`: a reference larger than this is scaled down to about this many pixels when
  a stage is given neither ``size`` nor ``area`` (a warning says so).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from motionctx.errors import InputError

if TYPE_CHECKING:
    from motionctx.types import PoseSequence

MAX_IMAGE_PIXELS = 64 * 1024 * 1024
MAX_CANVAS_PIXELS = 4096 * 4096
MAX_VIDEO_VALUES = 1024 * 1024 * 1024  # 4 GiB as float32 pixels
AUTO_AREA = 1024 * 1024


def check_canvas(size: tuple[int, int], what: str, hint: str) -> None:
    """Refuse a frame size ``(H, W)`` above :data:`MAX_CANVAS_PIXELS` (or not positive)."""
    h, w = size
    if h < 1 or w < 1:
        raise InputError(f"{what} is {h}x{w} (H x W); both sides must be positive", hint)
    if h * w > MAX_CANVAS_PIXELS:
        raise InputError(f"{what} is {h}x{w} (H x W), above the limit of {MAX_CANVAS_PIXELS} pixels", hint)


def _frame_list(frames: Iterable[int], limit: int = 5) -> str:
    frames = list(frames)
    shown = ", ".join(str(f) for f in frames[:limit])
    return shown + (f" and {len(frames) - limit} more" if len(frames) > limit else "")


def check_finite_poses(poses: PoseSequence, source: str) -> None:
    """Refuse keypoints or scores that are NaN or infinite, naming ``source`` and the frames
    (rendered, they would draw an empty skeleton without a word)."""
    import torch

    bad = ~torch.isfinite(poses.keypoints).all(dim=-1) | ~torch.isfinite(poses.scores)
    frames = bad.flatten(1).any(dim=1).nonzero().flatten().tolist()
    if frames:
        raise InputError(
            f"{source} has keypoints that are not finite numbers (NaN or infinity) in frame "
            f"{_frame_list(frames)} of {poses.num_frames}",
            "mark missing joints with score 0 instead, or re-extract the poses",
        )


def read_keypoints(
    path: str | os.PathLike[str], size: tuple[int, int] | None = None, *, coordinates: str = "auto"
) -> PoseSequence:
    """A user's pose file (NPZ or OpenPose JSON) read and checked: any malformed content is an
    InputError naming the file, and the keypoints are finite."""
    from motionctx.errors import MotionctxError
    from motionctx.pose.files import read_poses

    where = f"pose file {str(path)!r}"
    try:
        poses = read_poses(path, size, coordinates=coordinates)
    except MotionctxError as exc:
        exc.hint = exc.hint or "see docs/pose.md for the accepted files and layouts"
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        raise InputError(
            f"{where} is malformed: {type(exc).__name__}: {exc}".splitlines()[0][:300],
            "see docs/pose.md for the accepted layouts (numbers, not strings, for coordinates and sizes)",
        ) from None
    check_finite_poses(poses, where)
    return poses


def check_output_file(path: str | os.PathLike[str], flag: str, suffixes: tuple[str, ...]) -> Path:
    """An output file path that can be written: one of ``suffixes``, not a folder, its folder
    writable. Checked before the work that produces it."""
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise InputError(
            f"{flag} {str(p)!r} does not end in {' or '.join(suffixes)}", f"name the file e.g. out{suffixes[0]}"
        )
    if p.is_dir():
        raise InputError(f"{flag} {str(p)!r} is a folder", f"pass a file path such as {p / ('out' + suffixes[0])}")
    check_writable_dir(p.parent, flag)
    return p


def check_writable_dir(path: str | os.PathLike[str], flag: str) -> None:
    """``path`` is a folder this process can write into, or can be created as one (probed in its
    nearest existing folder, which is left as it was)."""
    p = Path(path)
    existing = p
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{flag}: {str(existing)!r} is a file, not a folder", "choose another output path")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise InputError(
            f"{flag}: cannot write into {str(existing)!r}: {exc.strerror or exc}",
            "check its permissions or write elsewhere",
        ) from None


def check_input_file(path: str | os.PathLike[str], what: str, where: str) -> None:
    """Read enough of an input file to know it is usable: an ``image`` is decoded, a ``video``'s
    first frame decoded, a ``manifest`` parsed. ``where`` names the setting it came from."""
    try:
        if what == "image":
            from motionctx.io import read_image

            read_image(path)
        elif what == "video":
            from motionctx.io import read_video

            read_video(path, max_frames=1)
        elif what == "manifest":
            from motionctx.io import read_jsonl

            read_jsonl(path)
        else:
            raise ValueError(f"unknown input kind {what!r}")
    except InputError as exc:
        raise InputError(f"{where}: {exc.message}", exc.hint) from None
