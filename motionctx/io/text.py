"""Reading a user's text file (recipe, manifest, pose JSON) with one clear error for each way it
can be wrong: missing, a folder, unreadable, too large, or not UTF-8."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from motionctx.errors import InputError, MotionctxError

ErrorFactory = Callable[[str, str], MotionctxError]


def read_text(
    path: str | os.PathLike[str], what: str, *, max_bytes: int | None = None, error: ErrorFactory | None = None
) -> str:
    """The UTF-8 text of ``path`` (a leading byte-order mark is dropped).

    ``what`` names the file in messages ("recipe file", "manifest"); ``error(message, hint)``
    builds the exception (default: InputError)."""
    make = error or InputError
    p = Path(path)
    name = f"{what} {str(p)!r}"
    try:
        if p.is_dir():
            raise make(f"{name} is a folder, not a file", f"pass the path of a {what}")
        if p.is_symlink() and not p.exists():
            raise make(f"{name} is a symbolic link that leads nowhere (broken, or a loop)", "fix the link")
        if not p.exists():
            raise make(f"{name} does not exist", "check the path (relative paths start from the current folder)")
        if not p.is_file():
            raise make(f"{name} is not a regular file", f"pass the path of a {what}")
        size = p.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise make(f"{name} is {size} bytes; the limit is {max_bytes}", f"is this really a {what}?")
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1 if max_bytes is not None else -1)
    except MotionctxError:
        raise
    except (OSError, RuntimeError) as exc:  # permissions, symlink loops (RuntimeError before 3.13)
        reason = getattr(exc, "strerror", None) or str(exc)
        raise make(f"cannot read {name}: {reason}", "check the path and its permissions") from None
    if max_bytes is not None and len(data) > max_bytes:  # grew while reading, or not a regular file
        raise make(f"{name} is larger than the limit of {max_bytes} bytes", f"is this really a {what}?")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise make(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})", "save the file as UTF-8"
        ) from None
