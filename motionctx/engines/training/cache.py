"""A content-addressed cache for prepared training data.

An entry's key is the SHA-256 of a canonical JSON of everything that produced it: the content
hash of the source file plus the parameters (part name and Config, frame counts, sizes...).
Changing a video, a caption or a setting gives a new key; unchanged work is found and reused by
any later run that points at the same cache folder. Entries are written atomically (tensors as
safetensors, text as JSON), so an interrupted run leaves whole entries or none.

Layout: ``ROOT/<kind>/<key[:2]>/<key>.<ext>``; ``ROOT/hashes/`` remembers file hashes by path,
size and modification time so large videos are not read again on every run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.io import atomic_write_bytes, atomic_write_json

if TYPE_CHECKING:
    import torch

__all__ = ["Cache", "cache_key", "default_cache_dir"]

CACHE_ENV = "MOTIONCTX_CACHE"


def default_cache_dir(output_dir: Path) -> Path:
    """``$MOTIONCTX_CACHE`` when set, else ``<output_dir>/cache``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else output_dir / "cache"


def cache_key(**parts: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``parts``."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Cache:
    """Typed get/put of cache entries under one root folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, kind: str, key: str, ext: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.{ext}"

    def relative(self, path: Path) -> str:
        """``path`` relative to the root (what indexes store, so a cache folder can move)."""
        return path.relative_to(self.root).as_posix()

    def resolve(self, relative: str) -> Path:
        return self.root / relative

    # ---------------------------------------------------------------- file hashes
    def file_hash(self, path: str | Path) -> str:
        """SHA-256 of a file's bytes, remembered by (absolute path, size, mtime)."""
        p = Path(path).resolve()
        st = p.stat()
        memo = self.root / "hashes" / f"{hashlib.sha1(str(p).encode()).hexdigest()}.json"
        stamp = {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        if memo.is_file():
            try:
                rec = json.loads(memo.read_text(encoding="utf-8"))
                if {k: rec.get(k) for k in stamp} == stamp and isinstance(rec.get("sha256"), str):
                    return rec["sha256"]
            except (OSError, ValueError):
                pass  # a damaged memo is recomputed
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest()
        atomic_write_json(memo, {**stamp, "sha256": digest})
        return digest

    # ---------------------------------------------------------------- JSON entries
    def get_json(self, kind: str, key: str) -> Any | None:
        p = self.path(kind, key, "json")
        if not p.is_file():
            return None
        try:
            return json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # damaged entries are recomputed

    def put_json(self, kind: str, key: str, obj: Any) -> Path:
        return atomic_write_json(self.path(kind, key, "json"), obj)

    # ---------------------------------------------------------------- tensor entries
    def get_tensors(self, kind: str, key: str) -> dict[str, torch.Tensor] | None:
        from safetensors.torch import load_file

        p = self.path(kind, key, "safetensors")
        if not p.is_file():
            return None
        try:
            return load_file(str(p))
        except Exception:  # noqa: BLE001 - a damaged entry is recomputed
            return None

    def put_tensors(
        self, kind: str, key: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
    ) -> Path:
        from safetensors.torch import save

        data = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=metadata)
        return atomic_write_bytes(self.path(kind, key, "safetensors"), data)
