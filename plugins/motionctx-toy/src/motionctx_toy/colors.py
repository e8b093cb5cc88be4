"""Colour picking with minimum contrast, and plain-English colour names for captions."""

from __future__ import annotations

import colorsys
from collections.abc import Iterable

import numpy as np

#: Shade applied to parts on the far side of a body; backgrounds avoid shaded colours too.
FAR_SHADE = 0.78

NAMES: dict[str, tuple[float, float, float]] = {
    "black": (0.05, 0.05, 0.05), "charcoal": (0.25, 0.25, 0.27), "grey": (0.5, 0.5, 0.5),
    "silver": (0.75, 0.75, 0.77), "white": (0.96, 0.96, 0.96), "red": (0.85, 0.1, 0.1),
    "dark red": (0.5, 0.05, 0.07), "pink": (0.97, 0.6, 0.72), "magenta": (0.85, 0.15, 0.7),
    "orange": (0.95, 0.5, 0.1), "peach": (0.98, 0.78, 0.62), "brown": (0.5, 0.3, 0.15),
    "tan": (0.82, 0.68, 0.5), "yellow": (0.95, 0.88, 0.15), "gold": (0.8, 0.65, 0.15),
    "olive": (0.5, 0.5, 0.12), "lime": (0.6, 0.9, 0.2), "green": (0.15, 0.65, 0.2),
    "dark green": (0.07, 0.35, 0.12), "teal": (0.1, 0.55, 0.55), "cyan": (0.25, 0.85, 0.9),
    "sky blue": (0.5, 0.72, 0.95), "blue": (0.15, 0.3, 0.85), "navy": (0.07, 0.1, 0.4),
    "purple": (0.45, 0.2, 0.6), "lavender": (0.75, 0.65, 0.92),
}
_NAME_KEYS = tuple(NAMES)
_NAME_RGB = np.array([NAMES[k] for k in _NAME_KEYS])


def colour_name(rgb: Iterable[float]) -> str:
    """The closest plain colour name to ``rgb`` (components in [0, 1])."""
    c = np.asarray(list(rgb), np.float64)
    return _NAME_KEYS[int(np.argmin(((_NAME_RGB - c) ** 2).sum(axis=1)))]


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((np.asarray(a) - np.asarray(b)) ** 2).sum()))


class Picker:
    """Draws colours from a generator, each at least ``min_distance`` from the ones to avoid."""

    def __init__(self, rng: np.random.Generator, min_distance: float = 0.3) -> None:
        self.rng = rng
        self.min_distance = min_distance

    def __call__(self, avoid: Iterable[np.ndarray] = (), dark: bool = False, warm: bool = False) -> np.ndarray:
        others = np.asarray([np.asarray(a, np.float64) for a in avoid]).reshape(-1, 3)
        best, best_d = None, -1.0
        for _ in range(40):
            c = self._draw(dark, warm)
            d = float(np.sqrt(((others - c) ** 2).sum(-1)).min()) if len(others) else 9.0
            if d >= self.min_distance:
                return c
            if d > best_d:
                best, best_d = c, d
        return best  # type: ignore[return-value]

    def _draw(self, dark: bool, warm: bool) -> np.ndarray:
        r = self.rng
        if dark:
            h, s, v = r.random(), r.uniform(0.2, 0.8), r.uniform(0.12, 0.32)
        elif warm:
            h, s, v = r.uniform(0.02, 0.16), r.uniform(0.6, 1.0), r.uniform(0.75, 1.0)
        else:
            h, s, v = r.random(), r.uniform(0.3, 0.95), r.uniform(0.35, 0.97)
        return np.array(colorsys.hsv_to_rgb(h, s, v))
