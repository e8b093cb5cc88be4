"""Backgrounds: a plain colour or a simple two-colour pattern, kept far from the characters' colours
so that the foreground can be recovered from the colour distance to the known background."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from motionctx.errors import InputError
from motionctx_toy import seeds
from motionctx_toy.colors import FAR_SHADE, Picker

KINDS = ("plain", "stripes", "bars", "checks", "horizon")


@dataclass(frozen=True, eq=False)
class Background:
    """``kind`` with two colours (RGB in [0, 1]); ``period`` of the pattern as a fraction of the
    frame height; ``horizon`` is where the ground starts for the ``horizon`` kind."""

    kind: str
    colours: tuple[tuple[float, float, float], tuple[float, float, float]]
    period: float = 0.2
    horizon: float = 0.6
    seed: int | None = None

    def image(self, size: tuple[int, int]) -> np.ndarray:
        """The background as float32 ``[H, W, 3]``."""
        h, w = size
        a, b = (np.array(c, np.float32) for c in self.colours)
        ys = (np.arange(h, dtype=np.float32) + 0.5) / h
        xs = (np.arange(w, dtype=np.float32) + 0.5) / h
        p = self.period
        if self.kind == "stripes":  # vertical
            sel = np.broadcast_to((np.floor(xs / p) % 2 == 1)[None, :], (h, w))
        elif self.kind == "bars":  # horizontal
            sel = np.broadcast_to((np.floor(ys / p) % 2 == 1)[:, None], (h, w))
        elif self.kind == "checks":
            sel = (np.floor(ys / p)[:, None] + np.floor(xs / p)[None, :]) % 2 == 1
        elif self.kind == "horizon":
            sel = np.broadcast_to((ys >= self.horizon)[:, None], (h, w))
        else:
            sel = np.zeros((h, w), bool)
        return np.where(sel[..., None], b, a).astype(np.float32)

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "seed": self.seed, "colours": [list(c) for c in self.colours]}


def make_background(seed: int, avoid: Iterable[Iterable[float]] = (), kind: str | None = None) -> Background:
    """The background for ``seed``; its colours keep clear of ``avoid`` (and their far-side shades)."""
    seeds.check_seed(seed, what="background seed")
    r = seeds.rng(seed, "background")
    drawn = str(r.choice(KINDS, p=[0.3, 0.15, 0.15, 0.15, 0.25]))  # always drawn: keeps the stream fixed
    chosen = kind or drawn
    if chosen not in KINDS:
        raise InputError(f"unknown background kind {chosen!r}", f"kinds: {', '.join(KINDS)}")
    avoid_list = [np.asarray(list(c), np.float64) for c in avoid]
    avoid_list += [c * FAR_SHADE for c in avoid_list]
    pick = Picker(r, min_distance=0.3)
    first = pick(avoid=avoid_list)
    second = pick(avoid=[*avoid_list, first]) if chosen != "plain" else first
    if chosen != "plain" and np.abs(second - first).sum() < 0.15:
        second = np.clip(first * 0.8, 0, 1)
    return Background(
        kind=chosen,
        colours=(tuple(float(c) for c in first), tuple(float(c) for c in second)),  # type: ignore[arg-type]
        period=float(r.uniform(0.12, 0.3)),
        horizon=float(r.uniform(0.5, 0.75)),
        seed=int(seed),
    )
