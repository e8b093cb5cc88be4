"""The error boundary: what any exception means to the person who ran motionctx.

Bad input becomes a :class:`~motionctx.errors.MotionctxError` (exit 2); anything else is an
internal fault (exit 1) that should be reported. The rule of thumb: the library converts an error
into an ``InputError``/``RecipeError`` where it knows which file or value is at fault; this module
is the safety net for what still escapes (a full disk, a read-only folder, an input so large that
memory runs out).
"""

from __future__ import annotations

import errno
import traceback

from motionctx.errors import InputError, MotionctxError

INTERNAL_EXIT = 1
_PATH_HINTS = {
    errno.ENOENT: "check the path (relative paths start from the current folder)",
    errno.EACCES: "check the permissions of that path, or write somewhere else",
    errno.EPERM: "check the permissions of that path, or write somewhere else",
    errno.EROFS: "that file system is read-only; write somewhere else",
    errno.ENOSPC: "the disk is full; free some space or write somewhere else",
    errno.EDQUOT: "the disk quota is used up; free some space or write somewhere else",
    errno.EISDIR: "that path is a folder; pass a file path",
    errno.ENOTDIR: "a part of that path is a file, not a folder",
    errno.EEXIST: "that path already exists; remove it or pick another",
    errno.ELOOP: "that path is a loop of symbolic links; fix the link",
    errno.ENAMETOOLONG: "use a shorter path",
    errno.ENOTEMPTY: "that folder is not empty; remove it or pick another",
}


def user_error(exc: BaseException) -> MotionctxError | None:
    """The user-facing error that ``exc`` stands for, or None when it is an internal fault."""
    if isinstance(exc, MotionctxError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _PATH_HINTS:
        where = f" {str(exc.filename)!r}" if exc.filename is not None else ""
        return InputError(f"cannot use{where}: {exc.strerror or exc}", _PATH_HINTS[exc.errno])
    if isinstance(exc, RuntimeError) and str(exc).startswith("Symlink loop"):  # pathlib before 3.13
        return InputError(str(exc), _PATH_HINTS[errno.ELOOP])
    if isinstance(exc, UnicodeDecodeError):
        return InputError(
            f"an input file is not UTF-8 text ({exc.reason} at byte {exc.start})", "save the file as UTF-8"
        )
    if isinstance(exc, RecursionError):
        return InputError("an input is nested too deeply to read", "flatten the nested lists or mappings")
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return InputError(
            "out of memory: the inputs are too large for this machine",
            "use smaller inputs (a smaller size or area, fewer frames)",
        )
    if isinstance(exc, OverflowError):
        return InputError(f"a number is out of range ({exc})", "use a smaller value")
    return None


def describe_fault(exc: BaseException) -> tuple[str, str]:
    """Message and hint for an internal fault: the exception and where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    text = str(exc).splitlines()[0] if str(exc) else ""
    message = f"internal error: {type(exc).__name__}{': ' + text if text else ''}{where}"
    hint = "this is a bug in motionctx or a plugin; please report it with the output of the same command run with --traceback"
    return message, hint
