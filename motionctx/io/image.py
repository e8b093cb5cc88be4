"""Reading and writing single images with Pillow.

:func:`read_image` gives what a viewer shows: EXIF orientation applied (phone photos), 16-bit and
floating-point images scaled to [0, 1] instead of clipped, palette and alpha images composited
on white. Images above :data:`motionctx.checks.MAX_IMAGE_PIXELS` are refused before decoding.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError, MotionctxError
from motionctx.io.atomic import atomic_path
from motionctx.types import Image

if TYPE_CHECKING:
    import numpy as np
    import torch

_HINT = "pass a PNG or JPEG file"


def _rgb_array(im: Any, name: str) -> np.ndarray:
    """``im`` as float32 ``[H, W, 3]`` in [0, 1]."""
    import numpy as np
    from PIL import Image as PILImage

    if im.mode.startswith("I;16"):
        return np.repeat(np.asarray(im, dtype=np.float32)[..., None] / 65535.0, 3, axis=2)
    if im.mode in ("I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        if not np.isfinite(arr).all():
            raise InputError(f"{name} holds values that are not finite numbers", "save it as an 8- or 16-bit PNG")
        low, high = float(arr.min()), float(arr.max())
        if im.mode == "I":  # 16-bit greyscale as some writers store it
            if low < 0 or high > 65535:
                raise InputError(f"{name} is a 32-bit integer image with values {low:g}..{high:g}", _HINT)
            arr = arr / 65535.0
        elif low < -1e-3 or high > 1 + 1e-3:
            raise InputError(
                f"{name} is a floating-point image with values {low:g}..{high:g}; expected 0..1",
                "scale it to 0..1, or save it as an 8- or 16-bit PNG",
            )
        return np.repeat(arr.clip(0, 1).astype(np.float32)[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = PILImage.alpha_composite(PILImage.new("RGBA", im.size, (255, 255, 255, 255)), im.convert("RGBA"))
    return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0


def read_image(path: str | os.PathLike[str]) -> Image:
    """Read an image file as an RGB :class:`Image` in [0, 1] (see the module doc)."""
    import torch
    from PIL import Image as PILImage
    from PIL import ImageOps

    from motionctx.checks import MAX_IMAGE_PIXELS
    from motionctx.io.video import existing

    p = existing(path, "image")
    name = f"image {str(p)!r}"
    try:
        with PILImage.open(p) as im:
            w, h = im.size
            if w * h > MAX_IMAGE_PIXELS:
                raise InputError(
                    f"{name} is {h}x{w} (H x W), above the limit of {MAX_IMAGE_PIXELS} pixels",
                    "scale it down first, e.g. `ffmpeg -i in.png -vf scale=2048:-1 out.png`",
                )
            arr = _rgb_array(ImageOps.exif_transpose(im), name)
    except MotionctxError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for broken files
        raise InputError(f"cannot read {name}: {type(exc).__name__}: {exc}".splitlines()[0], _HINT) from None
    return Image(torch.from_numpy(arr).permute(2, 0, 1).contiguous())


def write_image(path: str | os.PathLike[str], image: Image | torch.Tensor) -> Path:
    """Write an :class:`Image` (or a [3, H, W] tensor in [0, 1]) atomically; format from the suffix."""
    from PIL import Image as PILImage

    pixels = image.pixels if isinstance(image, Image) else image
    arr = pixels.clamp(0, 1).mul(255).round().byte().permute(1, 2, 0).contiguous().numpy()
    with atomic_path(path) as tmp:
        PILImage.fromarray(arr).save(tmp, format=PILImage.registered_extensions().get(Path(path).suffix.lower(), "PNG"))
    return Path(path)
