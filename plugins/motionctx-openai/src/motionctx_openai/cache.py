"""Reply cache: one JSON file per request, keyed by the hash of everything that shapes the reply.

The key covers the images' bytes, the prompt text, the model, the base URL and the generation
parameters, never the API key. Files are written atomically and only after a successful reply,
so a failure or an interruption leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from motionctx.io.atomic import atomic_write_json

log = logging.getLogger("motionctx_openai")


def default_cache_dir() -> Path:
    """``$MOTIONCTX_CACHE_DIR/mllm`` when that is set, else ``~/.cache/motionctx/mllm``."""
    root = os.environ.get("MOTIONCTX_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "motionctx") / "mllm"


def digest(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def cache_key(**inputs: Any) -> str:
    """A stable hash of JSON-serialisable ``inputs`` (key order does not matter)."""
    return digest(json.dumps(inputs, sort_keys=True, ensure_ascii=True, default=str).encode("utf-8"))


class ReplyCache:
    """Stores one JSON record per key under ``root/<key[:2]>/<key>.json``."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root else default_cache_dir()

    def __repr__(self) -> str:
        return f"ReplyCache({str(self.root)!r})"

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The record stored for ``key``; None when absent or unreadable (then it is redone)."""
        path = self.path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cache file %s (%s)", path, exc)
            return None
        return record if isinstance(record, dict) else None

    def put(self, key: str, record: dict[str, Any]) -> Path:
        """Store ``record`` for ``key`` atomically."""
        return atomic_write_json(self.path(key), record)
