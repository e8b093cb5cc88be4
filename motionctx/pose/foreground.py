"""Where the character stands in a reference image when no pose estimator can say: the region
whose colour differs from the background, the background's colours read from the image border.

This suits drawn characters on a plain (or two-colour) backdrop, such as the toy world's. A photo
has no dominant border colour, or a "foreground" that fills most of the frame; both give ``None``
(no box) rather than a guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from motionctx.pose.transform import Box
    from motionctx.types import Image

__all__ = ["background_colours", "foreground_box", "foreground_mask"]


def background_colours(pixels: np.ndarray, *, min_share: float = 0.1, bins: int = 8) -> np.ndarray:
    """The colours (``[N, 3]`` in [0, 1]) that each cover at least ``min_share`` of the border of
    ``pixels [H, W, 3]``: the mean colour of each such cell of a ``bins``-per-channel grid."""
    import numpy as np

    border = np.concatenate([pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]])
    cells = np.minimum((border * bins).astype(np.int64), bins - 1)
    keys = (cells[:, 0] * bins + cells[:, 1]) * bins + cells[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    keep = values[counts >= min_share * len(keys)]
    return np.array([border[keys == k].mean(axis=0) for k in keep], dtype=np.float64).reshape(-1, 3)


def foreground_mask(pixels: np.ndarray, *, tolerance: float = 0.12, min_share: float = 0.1) -> np.ndarray | None:
    """``[H, W]`` booleans: pixels further than ``tolerance`` (Euclidean RGB distance, [0, 1]
    scale) from every background colour; ``None`` when the border has no dominant colour."""
    import numpy as np

    colours = background_colours(pixels, min_share=min_share)
    if len(colours) == 0:
        return None
    dist = np.linalg.norm(pixels[:, :, None, :] - colours[None, None], axis=-1).min(axis=-1)
    return dist > tolerance


def foreground_box(
    image: Image, *, tolerance: float = 0.12, min_share: float = 0.1, max_fill: float = 0.9
) -> Box | None:
    """The box ``(x0, y0, x1, y1)`` in pixels around the foreground of ``image`` (pixel ``i``
    covers ``[i, i + 1)``), or ``None`` when there is no plain background to tell it from: no
    dominant border colour, no foreground pixel, or a foreground box over ``max_fill`` of the image."""
    import numpy as np

    pixels = image.pixels.detach().cpu().permute(1, 2, 0).numpy().astype(np.float64)
    mask = foreground_mask(pixels, tolerance=tolerance, min_share=min_share)
    if mask is None or not mask.any():
        return None
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)
    h, w = mask.shape
    if (x1 - x0) * (y1 - y0) > max_fill * h * w:
        return None
    return x0, y0, x1, y1
