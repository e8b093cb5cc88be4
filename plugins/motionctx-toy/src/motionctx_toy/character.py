"""Identities: everything about a character that a motion does not change.

An identity is its family, bone-length proportions per group, limb thickness and body girth,
head shape, overall height in the frame, colour palette and texture pattern. The same seed and
family always give the same identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from motionctx_toy import seeds
from motionctx_toy.colors import Picker
from motionctx_toy.families import family as family_module

#: name -> (width, height, squareness exponent)
HEAD_SHAPES: dict[str, tuple[float, float, float]] = {
    "round": (1.0, 1.0, 2.0),
    "wide": (1.25, 0.9, 2.0),
    "tall": (0.85, 1.2, 2.0),
    "square": (1.0, 1.0, 4.0),
}
PATTERNS = ("plain", "bands", "split", "checks", "spots")


@dataclass(frozen=True, eq=False)
class Character:
    """One identity. ``proportions`` multiply the family's nominal bone lengths per key,
    ``widths`` scale primitive radii (``limb``, ``girth``, ``head``), ``stature`` is the standing
    height as a fraction of the frame height, ``colours`` map palette roles to RGB in [0, 1]."""

    family: str
    proportions: dict[str, float]
    widths: dict[str, float]
    head: str
    head_size: tuple[float, float, float]
    stature: float
    colours: dict[str, tuple[float, float, float]]
    pattern: str
    pattern_scale: float
    traits: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    flat: bool = False
    thickness: float = 1.0

    def describe(self) -> dict[str, object]:
        """A JSON-friendly summary (for metadata and captions)."""
        return {
            "family": self.family,
            "seed": self.seed,
            "head": self.head,
            "pattern": self.pattern,
            "stature": round(self.stature, 4),
            "proportions": {k: round(v, 4) for k, v in self.proportions.items()},
            "widths": {k: round(v, 4) for k, v in self.widths.items()},
            "colours": {k: [round(c, 4) for c in v] for k, v in self.colours.items()},
            "traits": dict(self.traits),
            **({"flat": True} if self.flat else {}),
            **({"thickness": self.thickness} if self.thickness != 1.0 else {}),
        }


def make_character(seed: int, family: str, flat: bool = False, thickness: float = 1.0) -> Character:
    """The identity for ``seed`` in ``family`` (deterministic); ``flat`` drops its texture pattern
    (one flat colour per body part), ``thickness`` multiplies limb and body widths; neither changes
    anything else."""
    mod = family_module(family)
    seeds.check_seed(seed, what="character seed")
    r = seeds.rng(seed, "character", family)
    proportions: dict[str, float] = {}
    group_factors: dict[str, float] = {}
    for group, (keys, (lo, hi)) in mod.PROPORTIONS.items():
        g = float(np.exp(r.uniform(np.log(lo), np.log(hi))))
        group_factors[group] = g
        for key in keys:
            proportions[key] = g * float(r.uniform(0.9, 1.1)) if len(keys) > 1 else g
    head = str(r.choice(list(HEAD_SHAPES)))
    hw, hh, power = HEAD_SHAPES[head]
    head_size = (hw * float(r.uniform(0.92, 1.08)), hh * float(r.uniform(0.92, 1.08)), power)
    widths = {
        "limb": thickness * float(np.exp(r.uniform(np.log(0.7), np.log(1.55)))),
        "girth": thickness * float(np.exp(r.uniform(np.log(0.75), np.log(1.45)))),
        "head": head_size[0],
        "one": 1.0,
    }
    colours, traits = mod.palette(r, Picker(r))
    pattern = str(r.choice(PATTERNS))  # always drawn: keeps the stream fixed
    traits = {**traits, **_shape_traits(group_factors, widths)}
    return Character(
        family=family,
        proportions=proportions,
        widths=widths,
        head=head,
        head_size=head_size,
        stature=float(r.uniform(*mod.STATURE)),
        colours={k: tuple(float(c) for c in np.clip(v, 0, 1)) for k, v in colours.items()},  # type: ignore[misc]
        pattern="plain" if flat else pattern,
        pattern_scale=float(r.uniform(0.07, 0.12)),
        traits=traits,
        seed=int(seed),
        flat=flat,
        thickness=thickness,
    )


def _shape_traits(groups: dict[str, float], widths: dict[str, float]) -> dict[str, str]:
    """Words for proportions far from nominal (``long`` / ``short``, ``thick`` / ``thin``)."""
    out: dict[str, str] = {}
    for group, g in groups.items():
        if g > 1.18:
            out[f"size_{group}"] = "large"
        elif g < 0.85:
            out[f"size_{group}"] = "small"
    if widths["limb"] > 1.25:
        out["limbs"] = "thick"
    elif widths["limb"] < 0.85:
        out["limbs"] = "thin"
    if widths["girth"] > 1.2:
        out["build"] = "stocky"
    elif widths["girth"] < 0.88:
        out["build"] = "slender"
    return out
