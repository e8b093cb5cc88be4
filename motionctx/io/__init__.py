"""Reading and writing videos, images, text files and manifests; atomic writes."""

from motionctx.io.atomic import (
    atomic_dir,
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    check_replaceable,
)
from motionctx.io.image import read_image, write_image
from motionctx.io.manifest import append_jsonl, read_jsonl
from motionctx.io.text import read_text
from motionctx.io.video import read_video, write_video

__all__ = [
    "append_jsonl",
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_replaceable",
    "read_image",
    "read_jsonl",
    "read_text",
    "read_video",
    "write_image",
    "write_video",
]
