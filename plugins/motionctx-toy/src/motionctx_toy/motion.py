"""Motions: joint-angle trajectories plus a root path, independent of any identity.

A motion is sampled on normalised time (0 at the first frame, 1 at the last), so the same seed
gives the same movement at any frame count; more frames sample it more finely. Because it holds
angles, never positions, it fits every identity of its family: rendering identity B with the
motion of A is the exact cross-identity ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from motionctx.errors import InputError
from motionctx_toy import seeds
from motionctx_toy.families import family as family_module
from motionctx_toy.track import Track

MARGIN = 0.2  # the root stays within [MARGIN, 1 - MARGIN] of the frame width


@dataclass(frozen=True, eq=False)
class Motion:
    """``offsets [T, B, 2]`` radians per bone (alpha, beta); ``root_x [T]`` in frame widths;
    ``lift [T]`` above the ground line in frame heights; ``yaw``/``roll [T]`` radians about
    the vertical axis and the camera axis (roll turns about joint ``pivot``); ``ground`` is the
    ground line as a fraction of the frame height. ``held`` ``(k, n)``: this one-frame motion is
    frame ``k`` of the motion drawn at ``n`` frames (a still, see :meth:`frame`).
    ``resampled_from``: the frame counts the motion had before it was resampled, the count it was
    drawn at first (empty when it never was; see :meth:`resample`)."""

    family: str
    kind: str
    offsets: np.ndarray
    root_x: np.ndarray
    lift: np.ndarray
    yaw: np.ndarray
    roll: np.ndarray
    ground: float
    pivot: str
    traits: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    front: bool = False
    held: tuple[int, int] | None = None
    resampled_from: tuple[int, ...] = ()

    @property
    def frames(self) -> int:
        return int(self.offsets.shape[0])

    def resample(self, frames: int) -> Motion:
        """The same motion at another frame count (linear in normalised time). A still stays
        the still it holds; any other motion records the count it had in ``resampled_from``."""
        if frames < 1:
            raise InputError(f"a motion needs at least 1 frame, got {frames}")
        if frames == self.frames:
            return self
        src = np.linspace(0.0, 1.0, self.frames) if self.frames > 1 else np.zeros(1)
        dst = np.linspace(0.0, 1.0, frames) if frames > 1 else np.zeros(1)

        def interp(a: np.ndarray) -> np.ndarray:
            flat = a.reshape(self.frames, -1)
            out = np.stack([np.interp(dst, src, flat[:, i]) for i in range(flat.shape[1])], axis=1)
            return out.reshape((frames, *a.shape[1:])).astype(a.dtype)

        return replace(
            self, offsets=interp(self.offsets), root_x=interp(self.root_x), lift=interp(self.lift),
            yaw=interp(self.yaw), roll=interp(self.roll),
            resampled_from=self.resampled_from if self.held is not None else (*self.resampled_from, self.frames),
        )

    def frame(self, index: int) -> Motion:
        """A one-frame motion holding frame ``index`` (for reference stills)."""
        if not 0 <= index < self.frames:
            raise InputError(f"frame {index} of a motion with {self.frames} frames")
        sl = slice(index, index + 1)
        held = self.held if self.held is not None else (index, self.frames)
        return replace(
            self, offsets=self.offsets[sl], root_x=self.root_x[sl], lift=self.lift[sl], yaw=self.yaw[sl],
            roll=self.roll[sl], held=held,
        )

    def describe(self) -> dict[str, object]:
        return {"family": self.family, "kind": self.kind, "seed": self.seed, "frames": self.frames,
                "traits": dict(self.traits), **({"front": True} if self.front else {}),
                **({"held": list(self.held)} if self.held is not None else {}),
                **({"resampled_from": list(self.resampled_from)} if self.resampled_from else {})}


def motion_kinds(family: str) -> tuple[str, ...]:
    """The motion kinds a family knows."""
    return tuple(family_module(family).MOTIONS)


def make_motion(seed: int, family: str, frames: int = 9, kind: str | None = None, front: bool = False) -> Motion:
    """The motion for ``seed`` in ``family`` at ``frames`` frames; ``kind`` forces a motion kind;
    ``front`` keeps the body facing the camera (no yaw or roll; limbs move as before)."""
    mod = family_module(family)
    seeds.check_seed(seed, what="motion seed")
    if frames < 1:
        raise InputError(f"a motion needs at least 1 frame, got {frames}")
    r = seeds.rng(seed, "motion", family)
    kinds = list(mod.MOTIONS)
    chosen = kinds[int(r.integers(len(kinds)))]
    if kind is not None:
        if kind not in mod.MOTIONS:
            raise InputError(f"unknown {family} motion kind {kind!r}", f"kinds: {', '.join(kinds)}")
        chosen = kind
    s = np.linspace(0.0, 1.0, frames) if frames > 1 else np.zeros(1)
    tr = Track(mod.PLAN, s, seeds.rng(seed, "motion", family, chosen))
    mod.MOTIONS[chosen](tr)
    tr.jitter(6.0, 4.0)
    ground = float(tr.rng.uniform(0.84, 0.93))
    turns = 0.0 if front else 1.0
    return Motion(
        family=family,
        kind=chosen,
        offsets=tr.offsets.astype(np.float32),
        root_x=_place(tr.path, tr.rng).astype(np.float32),
        lift=tr.lift.astype(np.float32),
        yaw=np.radians(tr.yaw * turns).astype(np.float32),
        roll=np.radians(tr.roll * turns).astype(np.float32),
        ground=ground,
        pivot=tr.pivot,
        traits=dict(tr.traits),
        seed=int(seed),
        front=front,
    )


def _place(path: np.ndarray, r: np.random.Generator) -> np.ndarray:
    """Shift (and if needed shrink) a relative path so that it stays inside the margins."""
    lo, hi = float(path.min()), float(path.max())
    room = 1.0 - 2 * MARGIN
    if hi - lo > room:
        path = path * (room / (hi - lo))
        lo, hi = float(path.min()), float(path.max())
    start = r.uniform(MARGIN - lo, 1.0 - MARGIN - hi)
    return path + start
