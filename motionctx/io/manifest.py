"""JSONL manifests: one JSON object per line, appended atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from motionctx.errors import InputError


def append_jsonl(path: str | os.PathLike[str], record: dict[str, Any]) -> None:
    """Append one record as a single ``write`` of one line (atomic on local filesystems with
    O_APPEND for lines well below the pipe buffer size), then fsync."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_jsonl(path: str | os.PathLike[str], *, skip_partial: bool = True) -> list[dict[str, Any]]:
    """Read every record. A last line without newline (an interrupted append) is skipped when
    ``skip_partial``; any other malformed line is an InputError naming the line number."""
    from motionctx.io.text import read_text

    p = Path(path)
    data = read_text(p, "manifest")
    lines = data.split("\n")
    records = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        last_unterminated = i == len(lines) and not data.endswith("\n")
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            if last_unterminated and skip_partial:
                break
            raise InputError(f"manifest {str(p)!r} line {i}: not valid JSON ({exc.msg})", "fix or remove that line") from None
        except RecursionError:
            raise InputError(f"manifest {str(p)!r} line {i}: nested too deeply", "fix or remove that line") from None
        if not isinstance(rec, dict):
            raise InputError(
                f"manifest {str(p)!r} line {i}: expected a JSON object, got {type(rec).__name__}",
                'write one {"path": ...} object per line',
            )
        records.append(rec)
    return records
