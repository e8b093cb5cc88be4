"""A small builder that motion generators fill in: per-bone angle offsets and the root's path.

Time is normalised: ``s`` runs from 0 at the first frame to 1 at the last, so a motion covers
the same movement whatever the frame count. Angles are given in degrees.
"""

from __future__ import annotations

import numpy as np

from motionctx_toy.body import BodyPlan

TAU = 2.0 * np.pi


def osc(s: np.ndarray, cycles: float, phase: float = 0.0) -> np.ndarray:
    """``sin`` with ``cycles`` periods over the clip."""
    return np.sin(TAU * cycles * s + phase)


def smooth(x: np.ndarray) -> np.ndarray:
    """Smoothstep of ``x`` clipped to [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def bump(s: np.ndarray, start: float, end: float) -> np.ndarray:
    """0 outside ``[start, end]``, a smooth rise to 1 and fall back inside it."""
    u = np.clip((s - start) / max(end - start, 1e-6), 0.0, 1.0)
    return np.sin(np.pi * u) ** 2


class Track:
    """Offsets ``[T, B, 2]`` plus root path, lift, yaw, roll and a roll pivot, built step by step.

    ``path`` is the horizontal root travel in frame widths (its start is placed later so the
    whole path stays in frame); ``lift`` raises the body above its ground line in frame heights.
    """

    def __init__(self, plan: BodyPlan, s: np.ndarray, rng: np.random.Generator) -> None:
        self.plan, self.s, self.rng = plan, s, rng
        t, b = len(s), len(plan.bones)
        self.offsets = np.zeros((t, b, 2), np.float64)
        self.path = np.zeros(t)
        self.lift = np.zeros(t)
        self.yaw = np.zeros(t)
        self.roll = np.zeros(t)
        self.pivot = plan.root
        self.traits: dict[str, str] = {}

    def u(self, lo: float, hi: float) -> float:
        """A uniform draw from ``[lo, hi)``."""
        return float(self.rng.uniform(lo, hi))

    def sign(self) -> int:
        return 1 if self.rng.random() < 0.5 else -1

    def phase(self) -> float:
        return float(self.rng.uniform(0.0, TAU))

    def bend(self, joint: str, alpha: float | np.ndarray = 0.0, beta: float | np.ndarray = 0.0) -> None:
        """Add offsets (degrees) to the bone that places ``joint``."""
        i = self.plan.bone_index[joint]
        self.offsets[:, i, 0] += np.radians(alpha)
        self.offsets[:, i, 1] += np.radians(beta)

    def jitter(self, alpha_deg: float, beta_deg: float) -> None:
        """Small random oscillations on every bone so that no two motions are alike."""
        b = self.offsets.shape[1]
        amp = self.rng.uniform(0.0, 1.0, (b, 2)) * np.radians([alpha_deg, beta_deg])
        cycles = self.rng.uniform(0.3, 1.5, (b, 2))
        phase = self.rng.uniform(0.0, TAU, (b, 2))
        self.offsets += amp * np.sin(TAU * cycles * self.s[:, None, None] + phase)
