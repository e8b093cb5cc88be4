"""The bird family: an upright body with two wings, seen from the front or three-quarters.

Body frame: ``x`` is the bird's left, ``y`` up, ``z`` forward (the beak). Alpha offsets on the
wing bones raise the wings (mirrored per side), so a flap is an alpha oscillation; yaw shows the
beak in profile.
"""

from __future__ import annotations

import numpy as np

from motionctx_toy.body import Blob, BodyPlan, Bone, Capsule, direction
from motionctx_toy.skeletons import KEYPOINTS
from motionctx_toy.track import Track, osc, smooth


def _wing(side: str) -> tuple[Bone, ...]:
    s = -1 if side == "r" else 1
    mirror = (lambda a: 180 - a) if s < 0 else (lambda a: a)
    return (
        Bone(f"{side}_shoulder", "body", *direction(0.7 * s, 0.55, 0), length=(("torso", 0.08),), side=s,
             inherit_beta=False),
        Bone(f"{side}_elbow", f"{side}_shoulder", mirror(15), length=(("wing", 0.13),), side=s),
        Bone(f"{side}_wrist", f"{side}_elbow", mirror(8), length=(("wing", 0.12),), side=s),
        Bone(f"{side}_wingtip", f"{side}_wrist", mirror(-10), length=(("wing", 0.12),), side=s),
        Bone(f"{side}_knee", "body", mirror(-75), length=(("legs", 0.08),), side=s),
        Bone(f"{side}_foot", f"{side}_knee", mirror(-85), length=(("legs", 0.07),), side=s),
        Bone(f"{side}_eye", "head", *direction(0.45 * s, 0.3, 0.84), length=(("head", 0.06),), side=s),
    )


def _wing_capsules(side: str) -> tuple[Capsule, ...]:
    return (
        Capsule(f"{side}_shoulder", f"{side}_elbow", 0.055, 0.05, "wing", 0.005),
        Capsule(f"{side}_elbow", f"{side}_wrist", 0.05, 0.04, "wing", 0.005),
        Capsule(f"{side}_wrist", f"{side}_wingtip", 0.04, 0.014, "wing", 0.005),
        Capsule("body", f"{side}_knee", 0.016, 0.014, "leg", -0.02, patterned=False),
        Capsule(f"{side}_knee", f"{side}_foot", 0.013, 0.011, "leg", -0.02, patterned=False),
    )


PLAN = BodyPlan(
    family="bird",
    root="body",
    mirror=True,
    bones=(
        Bone("neck", "body", 90, length=(("torso", 0.11),)),
        Bone("head", "neck", 90, length=(("neck", 0.05), ("head", 0.06))),
        Bone("beak", "head", *direction(0, -0.25, 0.97), length=(("head", 0.06), ("beak", 0.07))),
        Bone("tail", "body", *direction(0, -0.75, -0.65), length=(("tail", 0.18),)),
        *_wing("r"),
        *_wing("l"),
    ),
    keypoints=KEYPOINTS["bird"],
    capsules=(
        Capsule("neck", "head", 0.04, 0.04, "body", 0.02, scale="girth", patterned=False),
        Capsule("head", "beak", 0.028, 0.004, "beak", 0.035, scale="head", patterned=False),
        Capsule("body", "tail", 0.03, 0.065, "tail", -0.01),
        *_wing_capsules("r"),
        *_wing_capsules("l"),
    ),
    blobs=(
        Blob("body", ("body", "neck"), 0.085, 0.125, "body", 0.0, scale="girth", patterned=True),
        Blob("head", ("neck", "head"), 0.06, 0.06, "head", 0.03, head=True),
        Blob("r_eye", ("neck", "head"), 0.014, 0.014, "eye", 0.05, facing="head"),
        Blob("l_eye", ("neck", "head"), 0.014, 0.014, "eye", 0.05, facing="head"),
    ),
    facing=(("beak", "head"), ("r_eye", "head"), ("l_eye", "head")),
)

PROPORTIONS = {
    "torso": (("torso",), (0.8, 1.3)),
    "neck": (("neck",), (0.3, 1.8)),
    "head": (("head",), (0.75, 1.4)),
    "beak": (("beak",), (0.4, 1.9)),
    "tail": (("tail",), (0.4, 1.7)),
    "wing": (("wing",), (0.65, 1.45)),
    "legs": (("legs",), (0.6, 1.6)),
}
STATURE = (0.34, 0.5)
ROLES = ("body", "wing", "head", "beak", "leg", "tail", "eye", "accent")


def palette(rng: np.random.Generator, pick) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    body = pick()
    wing = pick(avoid=[body]) if rng.random() < 0.6 else body
    head = pick(avoid=[body]) if rng.random() < 0.4 else body
    beak = pick(avoid=[head], warm=True)
    colours = {
        "body": body, "wing": wing, "head": head, "beak": beak,
        "leg": beak if rng.random() < 0.5 else pick(avoid=[body], dark=True),
        "tail": wing if rng.random() < 0.6 else pick(avoid=[body]), "eye": np.array([0.05, 0.05, 0.07]),
        "accent": pick(avoid=[body, wing]),
    }
    return colours, {}


# ---------------------------------------------------------------- motions

WING = ("elbow", "wrist", "wingtip")


def _flap(tr: Track, th: np.ndarray, amp: float, base: float = 0.0) -> None:
    lags = (0.0, 0.8, 1.6)
    scale = (1.0, tr.u(0.2, 0.5), tr.u(0.1, 0.4))
    for side in ("r", "l"):
        for joint, lag, k in zip(WING, lags, scale):
            tr.bend(f"{side}_{joint}", alpha=(base if joint == "elbow" else 0.0) + k * amp * np.sin(th - lag))


def _profile(tr: Track, lo: float, hi: float) -> int:
    d = tr.sign()
    tr.yaw += d * tr.u(lo, hi)
    tr.traits["direction"] = "right" if d > 0 else "left"
    return d


def fly(tr: Track) -> None:
    """Flapping flight across the frame, climbing."""
    d = _profile(tr, 25, 60)
    th = 2 * np.pi * tr.u(2.0, 4.0) * tr.s + tr.phase()
    _flap(tr, th, tr.u(40, 70))
    for side in ("r", "l"):
        tr.bend(f"{side}_knee", beta=-tr.u(40, 80))
    tr.roll += -d * tr.u(20, 50)  # lean into the flight
    tr.path = d * tr.u(0.35, 0.6) * tr.s
    tr.lift = tr.u(0.0, 0.05) + tr.u(0.03, 0.15) * tr.s + tr.u(0.02, 0.04) * np.sin(th)


def glide(tr: Track) -> None:
    """Wings held out, banking from side to side while sailing across."""
    d = _profile(tr, 20, 55)
    _flap(tr, 2 * np.pi * tr.u(0.3, 0.8) * tr.s + tr.phase(), tr.u(5, 15), base=tr.u(-10, 15))
    tr.roll += -d * tr.u(20, 45) + tr.u(15, 35) * osc(tr.s, tr.u(0.5, 1.0), tr.phase())
    tr.path = d * tr.u(0.35, 0.6) * tr.s
    tr.lift = tr.u(0.05, 0.2) + tr.u(0.05, 0.12) * np.sin(np.pi * tr.s)


def hop(tr: Track) -> None:
    """Wings folded, hopping along the ground with a bobbing head."""
    d = _profile(tr, 40, 75)
    n = int(tr.rng.integers(2, 4))
    fold = tr.u(95, 115)
    for side in ("r", "l"):
        tr.bend(f"{side}_elbow", alpha=-fold + 5 * osc(tr.s, n, 0.0))
        tr.bend(f"{side}_wrist", alpha=tr.u(-10, 10))
    hopping = np.abs(np.sin(np.pi * n * tr.s))
    for side in ("r", "l"):
        tr.bend(f"{side}_knee", alpha=-20 * hopping)
    tr.bend("head", beta=tr.u(10, 25) * osc(tr.s, n, tr.phase()))
    tr.lift = tr.u(0.05, 0.12) * hopping
    tr.path = d * tr.u(0.2, 0.4) * tr.s
    tr.traits["count"] = str(n)


def turn(tr: Track) -> None:
    """Turning round on the spot with half-open, slowly beating wings."""
    d = tr.sign()
    tr.yaw += tr.u(-30, 30) + d * tr.u(180, 360) * smooth(tr.s * 1.1)
    _flap(tr, 2 * np.pi * tr.u(1.0, 2.0) * tr.s + tr.phase(), tr.u(20, 40), base=tr.u(-40, 20))
    tr.path = tr.u(-0.15, 0.15) * tr.s
    tr.lift = tr.u(0.0, 0.08) * np.sin(np.pi * tr.s)
    tr.traits["direction"] = "clockwise" if d < 0 else "anticlockwise"


def dance(tr: Track) -> None:
    """Head bobbing, wings pumping, body swaying side to side."""
    cyc = tr.u(1.5, 3.0)
    tr.bend("head", alpha=tr.u(10, 25) * osc(tr.s, cyc, tr.phase()), beta=tr.u(10, 25) * osc(tr.s, cyc, 0))
    _flap(tr, 2 * np.pi * cyc * tr.s + tr.phase(), tr.u(20, 40), base=tr.u(20, 60))
    tr.roll += tr.u(10, 20) * osc(tr.s, cyc / 2, tr.phase())
    tr.yaw += tr.u(-20, 20) + tr.u(20, 50) * osc(tr.s, cyc / 2, tr.phase())
    tr.path = tr.u(0.1, 0.2) * osc(tr.s, tr.u(0.4, 0.8), tr.phase())
    tr.lift = tr.u(0.01, 0.04) * np.abs(osc(tr.s, cyc))


MOTIONS = {"fly": fly, "glide": glide, "hop": hop, "turn": turn, "dance": dance}
