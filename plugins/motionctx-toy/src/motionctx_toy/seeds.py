"""Seeds, splits and derived random generators.

Every random choice in the toy world comes from a generator keyed by ``(seed, purpose...)``, so
the same seed always gives the same character, motion or background, and independent purposes
never share a stream. Seeds below :data:`HELDOUT_START` belong to the training split; seeds from
:data:`HELDOUT_START` up to :data:`SEED_END` are held out for evaluation.
"""

from __future__ import annotations

import zlib
from typing import Literal

import numpy as np

from motionctx.errors import InputError

Split = Literal["train", "heldout"]

#: First held-out seed; every seed below it is a training seed.
HELDOUT_START = 1_000_000
#: One past the largest seed allowed.
SEED_END = 2**31 - 1
SPLITS: dict[str, tuple[int, int]] = {"train": (0, HELDOUT_START), "heldout": (HELDOUT_START, SEED_END)}


def split_of(seed: int) -> Split:
    """The split a seed belongs to."""
    check_seed(seed)
    return "train" if seed < HELDOUT_START else "heldout"


def check_seed(seed: int, split: str | None = None, what: str = "seed") -> int:
    """Return ``seed`` if it is an integer inside ``split``'s range (any split when ``None``)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InputError(f"{what}: expected an integer seed, got {seed!r}")
    seed = int(seed)
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown split {split!r}", "use 'train' or 'heldout'")
    lo, hi = SPLITS[split] if split else (0, SEED_END)
    if not lo <= seed < hi:
        raise InputError(
            f"{what} {seed} is outside the {split or 'allowed'} seed range [{lo}, {hi})",
            "training seeds are 0..999999, held-out seeds start at 1000000; "
            "ToyWorld(split=...).seed(i) maps an index to a seed of its split",
        )
    return seed


def _key(part: int | str) -> int:
    return zlib.crc32(part.encode()) if isinstance(part, str) else int(part)


def rng(seed: int, *purpose: int | str) -> np.random.Generator:
    """A generator for ``seed`` and a purpose such as ``("character", "humanoid")``."""
    return np.random.default_rng([int(seed), *(_key(p) for p in purpose)])


def derive_seed(seed: int, split: str, *purpose: int | str) -> int:
    """A new seed inside ``split``'s range, determined by ``seed`` and ``purpose``."""
    lo, hi = SPLITS[split]
    return int(rng(seed, "derive", *purpose).integers(lo, hi))


def index_to_seed(index: int, split: str) -> int:
    """The ``index``-th seed of a split (train: the index itself; held-out: offset by HELDOUT_START)."""
    if index < 0:
        raise InputError(f"seed index must be >= 0, got {index}")
    return check_seed(SPLITS[split][0] + int(index), split)
