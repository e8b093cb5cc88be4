"""Atomic writes: write to a temporary file beside the target, then rename over it.

A crash or interruption leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _umask_mode(full: int) -> int:
    """``full`` (0o666 for files, 0o777 for folders) less the process umask: the mode a plain
    ``open``/``mkdir`` would give. The temporary files are created private (0o600/0o700)."""
    mask = os.umask(0)
    os.umask(mask)
    return full & ~mask


@contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it is renamed to ``path``.

    ``suffix`` defaults to the target's suffix so format-sniffing writers (PyAV, PIL) work.
    On an exception the temporary file is removed and the target is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    ext = suffix if suffix is not None else target.suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.tmp-{os.getpid()}-", suffix=ext, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, _umask_mode(0o666))
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it replaces ``path`` (an existing folder
    there is removed first). On an exception the temporary folder is removed, ``path`` untouched."""
    import shutil

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, _umask_mode(0o777))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_replaceable(path: str | os.PathLike[str], marker: str, flag: str) -> None:
    """Refuse to let :func:`atomic_dir` replace ``path`` unless it is absent, empty or holds
    ``marker`` (the file an earlier output of the same kind has): a mistyped output flag must not
    delete a folder of other things. ``flag`` names the option to fix in the error."""
    from motionctx.errors import InputError

    target = Path(path)
    if target.is_file() or (target.is_dir() and any(target.iterdir()) and not (target / marker).is_file()):
        raise InputError(
            f"{str(target)!r} exists and is not an earlier output of this command (no {marker}); it would be replaced whole",
            f"pass a new folder (or an earlier output to replace) as {flag}",
        )


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (fsync before rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any, indent: int = 2) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=indent, sort_keys=False, default=str) + "\n")
