"""The quadruped family: a four-legged animal drawn from the side.

Body frame: ``x`` points forward (towards the head), ``y`` up, ``z`` to the animal's left, which
faces the camera at yaw 0 (the animal walks to the right). Alpha offsets swing legs forwards
in the side plane; legs on the far side sit behind the body and are shaded darker.
"""

from __future__ import annotations

import numpy as np

from motionctx_toy.body import Blob, BodyPlan, Bone, Capsule, direction
from motionctx_toy.skeletons import KEYPOINTS
from motionctx_toy.track import Track, bump, osc, smooth


def _leg(prefix: str, anchor: str, z: float, angles: tuple[float, float, float], names: tuple[str, str, str]) -> tuple[Bone, ...]:
    side = 1 if z > 0 else -1
    upper, lower, paw = names
    return (
        Bone(f"{prefix}_girdle", anchor, *direction(0, 0, z), length=(("girth", 0.05),), side=side),
        Bone(f"{prefix}_{upper}", f"{prefix}_girdle", angles[0], length=(("upper_leg", 0.14),), side=side),
        Bone(f"{prefix}_{lower}", f"{prefix}_{upper}", angles[1], length=(("lower_leg", 0.13),), side=side),
        Bone(f"{prefix}_{paw}", f"{prefix}_{lower}", angles[2], length=(("paw", 0.06),), side=side),
    )


def _leg_capsules(prefix: str, names: tuple[str, str, str]) -> tuple[Capsule, ...]:
    upper, lower, paw = names
    return (
        Capsule(f"{prefix}_girdle", f"{prefix}_{upper}", 0.045, 0.034, "coat"),
        Capsule(f"{prefix}_{upper}", f"{prefix}_{lower}", 0.034, 0.027, "coat"),
        Capsule(f"{prefix}_{lower}", f"{prefix}_{paw}", 0.027, 0.03, "paw", patterned=False),
    )


FRONT = ("elbow", "knee", "paw")
HIND = ("stifle", "hock", "paw")

PLAN = BodyPlan(
    family="quadruped",
    root="back",
    bones=(
        Bone("withers", "back", 0, length=(("body", 0.2),)),
        Bone("croup", "back", 180, length=(("body", 0.2),)),
        Bone("neck", "withers", 55, length=(("neck", 0.17),)),
        Bone("skull", "neck", 25, length=(("head", 0.045),)),
        Bone("nose", "skull", -35, length=(("muzzle", 0.12),)),
        Bone("l_eye", "skull", *direction(0.5, 0.55, 0.65), length=(("head", 0.05),), side=1),
        Bone("r_eye", "skull", *direction(0.5, 0.55, -0.65), length=(("head", 0.05),), side=-1),
        Bone("l_ear", "skull", *direction(-0.45, 1.0, 0.35), length=(("ears", 0.09),), side=1),
        Bone("r_ear", "skull", *direction(-0.45, 1.0, -0.35), length=(("ears", 0.09),), side=-1),
        Bone("tail_mid", "croup", 200, length=(("tail", 0.13),)),
        Bone("tail_tip", "tail_mid", 235, length=(("tail", 0.12),)),
        *_leg("fl", "withers", 1, (-92, -90, -88), FRONT),
        *_leg("fr", "withers", -1, (-92, -90, -88), FRONT),
        *_leg("hl", "croup", 1, (-65, -115, -85), HIND),
        *_leg("hr", "croup", -1, (-65, -115, -85), HIND),
    ),
    keypoints=KEYPOINTS["quadruped"],
    capsules=(
        Capsule("withers", "croup", 0.085, 0.08, "coat", 0.0, scale="girth"),
        Capsule("withers", "neck", 0.065, 0.045, "coat", 0.01, scale="girth"),
        Capsule("skull", "nose", 0.058, 0.032, "coat", 0.02, scale="head"),
        Capsule("skull", "l_ear", 0.03, 0.008, "ear", 0.015, patterned=False),
        Capsule("skull", "r_ear", 0.03, 0.008, "ear", 0.015, patterned=False),
        Capsule("croup", "tail_mid", 0.028, 0.022, "tail", -0.005),
        Capsule("tail_mid", "tail_tip", 0.022, 0.014, "tail", -0.005),
        *_leg_capsules("fl", FRONT), *_leg_capsules("fr", FRONT),
        *_leg_capsules("hl", HIND), *_leg_capsules("hr", HIND),
    ),
    blobs=(
        Blob("l_eye", ("skull", "nose"), 0.015, 0.015, "eye", 0.04, facing="skull"),
        Blob("r_eye", ("skull", "nose"), 0.015, 0.015, "eye", 0.04, facing="skull"),
        Blob("nose", ("skull", "nose"), 0.016, 0.016, "eye", 0.035),
    ),
    facing=(("l_eye", "skull"), ("r_eye", "skull")),
)

PROPORTIONS = {
    "body": (("body",), (0.7, 1.4)),
    "neck": (("neck",), (0.5, 1.6)),
    "head": (("head", "muzzle"), (0.7, 1.4)),
    "ears": (("ears",), (0.4, 1.8)),
    "tail": (("tail",), (0.3, 1.8)),
    "legs": (("upper_leg", "lower_leg", "paw"), (0.6, 1.4)),
    "girth": (("girth",), (0.8, 1.2)),
}
STATURE = (0.36, 0.52)
ROLES = ("coat", "paw", "ear", "tail", "eye", "accent")

COATS = (
    (0.55, 0.35, 0.18), (0.85, 0.55, 0.25), (0.35, 0.33, 0.32), (0.92, 0.9, 0.85), (0.15, 0.13, 0.12),
    (0.75, 0.7, 0.6), (0.6, 0.45, 0.35),
)


def palette(rng: np.random.Generator, pick) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    coat = np.clip(np.array(COATS[rng.integers(len(COATS))]) + rng.uniform(-0.05, 0.05, 3), 0, 1)
    if rng.random() < 0.25:
        coat = pick()
    accent = pick(avoid=[coat])
    paw = pick(avoid=[coat], dark=rng.random() < 0.5) if rng.random() < 0.6 else coat
    colours = {
        "coat": coat, "accent": accent, "paw": paw, "ear": accent if rng.random() < 0.4 else coat,
        "tail": accent if rng.random() < 0.3 else coat, "eye": np.array([0.06, 0.05, 0.05]),
    }
    return colours, {"socks": "yes" if paw is not coat else "no"}


# ---------------------------------------------------------------- motions

LEGS = ("fl", "fr", "hl", "hr")


def _upper(leg: str) -> str:
    return f"{leg}_{(FRONT if leg[0] == 'f' else HIND)[0]}"


def _lower(leg: str) -> str:
    return f"{leg}_{(FRONT if leg[0] == 'f' else HIND)[1]}"


def _face(tr: Track) -> int:
    d = tr.sign()
    tr.yaw += (0.0 if d > 0 else 180.0) + tr.u(-20, 20)
    tr.traits["direction"] = "right" if d > 0 else "left"
    return d


def _gait(tr: Track, th: np.ndarray, phases: dict[str, float], amp: float, knee: float) -> None:
    for leg in LEGS:
        ph = phases[leg] * 2 * np.pi
        tr.bend(_upper(leg), alpha=amp * np.sin(th + ph))
        bend = knee * np.clip(np.sin(th + ph + np.pi / 2), 0, None)
        tr.bend(_lower(leg), alpha=-bend if leg[0] == "f" else bend)


def walk(tr: Track) -> None:
    """A four-beat walk across the frame, head nodding, tail swaying."""
    d = _face(tr)
    th = 2 * np.pi * tr.u(1.0, 2.0) * tr.s + tr.phase()
    _gait(tr, th, {"hl": 0.0, "fl": 0.25, "hr": 0.5, "fr": 0.75}, tr.u(20, 35), tr.u(20, 45))
    tr.bend("neck", alpha=tr.u(3, 8) * np.sin(2 * th))
    tr.bend("tail_mid", alpha=tr.u(5, 20) * np.sin(th))
    tr.path = d * tr.u(0.3, 0.5) * tr.s
    tr.lift = 0.01 * np.abs(np.sin(2 * th))


def run(tr: Track) -> None:
    """A bounding run: front and hind pairs together, the back flexing, the body bouncing."""
    d = _face(tr)
    th = 2 * np.pi * tr.u(2.0, 3.0) * tr.s + tr.phase()
    _gait(tr, th, {"fl": 0.0, "fr": 0.08, "hl": 0.5, "hr": 0.58}, tr.u(35, 55), tr.u(30, 60))
    flex = tr.u(5, 12) * np.sin(th)
    tr.bend("withers", alpha=-flex)
    tr.bend("croup", alpha=flex)
    tr.bend("tail_mid", alpha=tr.u(10, 30))
    tr.path = d * tr.u(0.45, 0.65) * tr.s
    tr.lift = tr.u(0.02, 0.06) * np.abs(np.sin(th))


def jump(tr: Track) -> None:
    """A leap: crouch, stretch out in the air (front legs forward, hind legs back), land."""
    d = _face(tr)
    crouch = bump(tr.s, 0.0, 0.3) + 0.5 * bump(tr.s, 0.88, 1.0)
    air = bump(tr.s, 0.28, 0.92)
    tr.lift = tr.u(0.12, 0.25) * np.sin(np.pi * np.clip((tr.s - 0.3) / 0.6, 0, 1)) - 0.04 * crouch
    for leg in LEGS:
        front = leg[0] == "f"
        tr.bend(_upper(leg), alpha=(tr.u(40, 70) if front else -tr.u(40, 70)) * air + 15 * crouch)
        tr.bend(_lower(leg), alpha=(-tr.u(20, 60) if front else tr.u(10, 40)) * air - 30 * crouch * front)
    tr.roll += d * tr.u(10, 25) * (bump(tr.s, 0.2, 0.55) - bump(tr.s, 0.55, 0.95))
    tr.bend("tail_mid", alpha=tr.u(10, 40) * air)
    tr.path = d * tr.u(0.25, 0.45) * smooth(tr.s)


def turn(tr: Track) -> None:
    """Walking, turning round to face the other way, walking back."""
    start = tr.sign()
    sweep = smooth((tr.s - 0.2) / 0.6)
    tr.yaw += (0.0 if start > 0 else 180.0) + start * 180.0 * sweep * (1 if tr.rng.random() < 0.5 else -1)
    th = 2 * np.pi * tr.u(1.0, 2.0) * tr.s + tr.phase()
    _gait(tr, th, {"hl": 0.0, "fl": 0.25, "hr": 0.5, "fr": 0.75}, tr.u(15, 30), tr.u(15, 40))
    speed = tr.u(0.3, 0.5)
    heading = np.cos(np.radians(tr.yaw))
    tr.path = np.concatenate([[0.0], np.cumsum(heading[1:] * np.diff(tr.s))]) * speed
    tr.traits["direction"] = "right then left" if start > 0 else "left then right"


def rear(tr: Track) -> None:
    """Rearing up on the hind legs, front legs pawing the air, and coming back down."""
    d = _face(tr)
    up = bump(tr.s, tr.u(0.0, 0.15), tr.u(0.85, 1.0))
    tr.roll += d * tr.u(25, 45) * up
    tr.pivot = "hl_paw"
    cyc = tr.u(1.5, 3.0)
    for leg in ("fl", "fr"):
        ph = tr.phase()
        tr.bend(_upper(leg), alpha=(tr.u(30, 60) + 20 * osc(tr.s, cyc, ph)) * up)
        tr.bend(_lower(leg), alpha=-(tr.u(50, 90) + 20 * osc(tr.s, cyc, ph + 1)) * up)
    tr.bend("neck", alpha=tr.u(10, 30) * up)
    tr.bend("tail_mid", alpha=-tr.u(0, 20) * up)
    tr.path = d * tr.u(0.0, 0.12) * tr.s


MOTIONS = {"walk": walk, "run": run, "jump": jump, "turn": turn, "rear": rear}
