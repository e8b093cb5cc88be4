"""The humanoid family: a frontal body whose keypoints are the 18 OpenPose points, in OpenPose order.

Body frame: ``x`` is the character's left (image right when it faces the camera), ``y`` up,
``z`` forward. Alpha offsets on limbs mean raising them sideways (mirrored per side); beta offsets
swing them forwards, which shows in profile. Hidden joints (pelvis, head centre, hands, toes, hair)
help drawing and are not keypoints.
"""

from __future__ import annotations

import numpy as np

from motionctx_toy.body import Blob, BodyPlan, Bone, Capsule, Quad, direction
from motionctx_toy.skeletons import KEYPOINTS
from motionctx_toy.track import Track, bump, osc, smooth

H = 0.085  # nominal head radius

PLAN = BodyPlan(
    family="humanoid",
    root="pelvis",
    mirror=True,
    bones=(
        Bone("neck", "pelvis", 90, length=(("torso", 0.30),)),
        Bone("head", "neck", 90, length=(("neck", 0.045), ("head", H))),
        Bone("nose", "head", *direction(0, -0.3, 0.95), length=(("head", H),)),
        Bone("r_eye", "head", *direction(-0.38, 0.22, 0.9), length=(("head", H),), side=-1),
        Bone("l_eye", "head", *direction(0.38, 0.22, 0.9), length=(("head", H),), side=1),
        Bone("r_ear", "head", 180, length=(("head", H),), side=-1),
        Bone("l_ear", "head", 0, length=(("head", H),), side=1),
        Bone("hair", "head", *direction(0, 0.3, -0.95), length=(("head", 0.025),)),
        Bone("r_shoulder", "neck", 188, length=(("shoulders", 0.13),), side=-1, inherit_beta=False),
        Bone("r_elbow", "r_shoulder", -100, length=(("upper_arm", 0.16),), side=-1),
        Bone("r_wrist", "r_elbow", -98, length=(("forearm", 0.15),), side=-1),
        Bone("r_hand", "r_wrist", -98, length=(("forearm", 0.035),), side=-1),
        Bone("l_shoulder", "neck", -8, length=(("shoulders", 0.13),), side=1, inherit_beta=False),
        Bone("l_elbow", "l_shoulder", -80, length=(("upper_arm", 0.16),), side=1),
        Bone("l_wrist", "l_elbow", -82, length=(("forearm", 0.15),), side=1),
        Bone("l_hand", "l_wrist", -82, length=(("forearm", 0.035),), side=1),
        Bone("r_hip", "pelvis", 180, length=(("hips", 0.085),), side=-1, inherit_beta=False),
        Bone("r_knee", "r_hip", -92, length=(("thigh", 0.24),), side=-1),
        Bone("r_ankle", "r_knee", -90, length=(("shin", 0.22),), side=-1),
        Bone("r_toe", "r_ankle", *direction(0, -0.35, 0.94), length=(("shin", 0.05),), side=-1),
        Bone("l_hip", "pelvis", 0, length=(("hips", 0.085),), side=1, inherit_beta=False),
        Bone("l_knee", "l_hip", -88, length=(("thigh", 0.24),), side=1),
        Bone("l_ankle", "l_knee", -90, length=(("shin", 0.22),), side=1),
        Bone("l_toe", "l_ankle", *direction(0, -0.35, 0.94), length=(("shin", 0.05),), side=1),
    ),
    keypoints=KEYPOINTS["humanoid"],
    capsules=(
        Capsule("pelvis", "neck", 0.075, 0.08, "top", 0.0, scale="girth"),
        Capsule("neck", "head", 0.032, 0.032, "skin", -0.02, patterned=False),
        Capsule("r_shoulder", "r_elbow", 0.036, 0.031, "top", 0.02),
        Capsule("r_elbow", "r_wrist", 0.031, 0.026, "sleeve", 0.02),
        Capsule("r_wrist", "r_hand", 0.03, 0.03, "skin", 0.021, patterned=False),
        Capsule("l_shoulder", "l_elbow", 0.036, 0.031, "top", 0.02),
        Capsule("l_elbow", "l_wrist", 0.031, 0.026, "sleeve", 0.02),
        Capsule("l_wrist", "l_hand", 0.03, 0.03, "skin", 0.021, patterned=False),
        Capsule("r_hip", "r_knee", 0.05, 0.04, "bottom", 0.005),
        Capsule("r_knee", "r_ankle", 0.04, 0.032, "bottom", 0.005),
        Capsule("r_ankle", "r_toe", 0.032, 0.03, "shoe", 0.006, patterned=False),
        Capsule("l_hip", "l_knee", 0.05, 0.04, "bottom", 0.005),
        Capsule("l_knee", "l_ankle", 0.04, 0.032, "bottom", 0.005),
        Capsule("l_ankle", "l_toe", 0.032, 0.03, "shoe", 0.006, patterned=False),
    ),
    blobs=(
        Blob("head", ("neck", "head"), H, H, "skin", 0.03, head=True),
        Blob("hair", ("neck", "head"), H * 1.04, H * 1.04, "hair", 0.029, head=True),
        Blob("r_eye", ("neck", "head"), 0.016, 0.016, "eye", 0.05, facing="head"),
        Blob("l_eye", ("neck", "head"), 0.016, 0.016, "eye", 0.05, facing="head"),
    ),
    quads=(Quad(("r_shoulder", "l_shoulder", "l_hip", "r_hip"), ("neck", "pelvis"), "top", 0.01),),
    facing=(("nose", "head"), ("r_eye", "head"), ("l_eye", "head"), ("r_ear", "head"), ("l_ear", "head")),
)

#: group -> (keys sharing one factor, factor range)
PROPORTIONS: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "torso": (("torso",), (0.75, 1.3)),
    "neck": (("neck",), (0.5, 1.8)),
    "head": (("head",), (0.75, 1.45)),
    "shoulders": (("shoulders",), (0.7, 1.35)),
    "hips": (("hips",), (0.7, 1.4)),
    "arms": (("upper_arm", "forearm"), (0.7, 1.35)),
    "legs": (("thigh", "shin"), (0.65, 1.35)),
}
STATURE = (0.46, 0.7)
ROLES = ("skin", "top", "sleeve", "bottom", "shoe", "hair", "eye", "accent")

SKIN_TONES = (
    (0.96, 0.82, 0.70), (0.90, 0.72, 0.56), (0.78, 0.57, 0.40), (0.60, 0.40, 0.26),
    (0.42, 0.27, 0.17), (0.98, 0.88, 0.78),
)
FANTASY_SKIN = ((0.45, 0.80, 0.45), (0.55, 0.65, 0.95), (0.80, 0.55, 0.85), (0.70, 0.70, 0.72))


def palette(rng: np.random.Generator, pick) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Colours per role and the traits they imply (hair, sleeves)."""
    tones = FANTASY_SKIN if rng.random() < 0.2 else SKIN_TONES
    skin = np.clip(np.array(tones[rng.integers(len(tones))]) + rng.uniform(-0.04, 0.04, 3), 0, 1)
    top = pick(avoid=[skin])
    bottom = pick(avoid=[skin, top])
    accent = pick(avoid=[top, bottom])
    hair_style = rng.choice(["short", "short", "long", "none"])
    hair = pick(avoid=[skin], dark=rng.random() < 0.7) if hair_style != "none" else skin
    sleeves = "long" if rng.random() < 0.6 else "short"
    colours = {
        "skin": skin, "top": top, "sleeve": top if sleeves == "long" else skin, "bottom": bottom,
        "shoe": pick(avoid=[bottom], dark=True), "hair": hair, "eye": np.array([0.08, 0.07, 0.1]),
        "accent": accent,
    }
    return colours, {"hair": str(hair_style), "sleeves": sleeves}


# ---------------------------------------------------------------- motions


def _arms_relaxed(tr: Track, amp: float = 8.0) -> None:
    for side in ("r", "l"):
        tr.bend(f"{side}_elbow", alpha=tr.u(0, amp) * osc(tr.s, tr.u(0.5, 1.5), tr.phase()))


def wave(tr: Track) -> None:
    """One or both arms raised and waving while stepping sideways."""
    arms = str(tr.rng.choice(["right", "left", "both"]))
    cyc = tr.u(1.5, 3.0)
    ph = tr.phase()
    _arms_relaxed(tr)
    for side in ("r", "l") if arms == "both" else (arms[0],):
        tr.bend(f"{side}_elbow", alpha=tr.u(100, 150) + tr.u(20, 40) * osc(tr.s, cyc, ph))
        tr.bend(f"{side}_wrist", alpha=tr.u(15, 45) + tr.u(25, 50) * osc(tr.s, cyc, ph + 1.6))
    tr.bend("neck", alpha=tr.u(3, 10) * osc(tr.s, cyc / 2, ph))
    d = tr.sign()
    tr.path = d * tr.u(0.15, 0.35) * tr.s + 0.03 * osc(tr.s, cyc / 2)
    tr.lift = tr.u(0.0, 0.03) * np.abs(osc(tr.s, cyc / 2))
    tr.yaw += tr.u(-30, 30)
    tr.traits.update(arms=arms, direction="right" if d > 0 else "left")


def dance(tr: Track) -> None:
    """Arms and legs swinging on different beats, hips swaying, drifting side to side."""
    cyc = tr.u(1.0, 2.2)
    for side in ("r", "l"):
        ph = tr.phase()
        tr.bend(f"{side}_elbow", alpha=tr.u(40, 120) + tr.u(40, 70) * osc(tr.s, cyc, ph),
                beta=tr.u(0, 30) * osc(tr.s, cyc, ph + 1.0))
        tr.bend(f"{side}_wrist", alpha=tr.u(20, 60) * osc(tr.s, cyc, ph + 2.0))
        flex = tr.u(10, 40) * (0.5 + 0.5 * osc(tr.s, cyc, tr.phase()))
        tr.bend(f"{side}_knee", alpha=tr.u(5, 25) + tr.u(5, 20) * osc(tr.s, cyc, tr.phase()), beta=flex)
        tr.bend(f"{side}_ankle", beta=-2.0 * flex)
    tr.bend("neck", alpha=tr.u(10, 25) * osc(tr.s, cyc, tr.phase()))
    tr.roll += tr.u(5, 15) * osc(tr.s, cyc / 2, tr.phase())
    tr.yaw += tr.u(-20, 20) + tr.u(20, 60) * osc(tr.s, cyc / 2, tr.phase())
    tr.path = tr.u(0.12, 0.25) * osc(tr.s, tr.u(0.4, 0.8), tr.phase()) + tr.u(-0.15, 0.15) * tr.s
    tr.lift = tr.u(0.02, 0.06) * np.abs(osc(tr.s, cyc))


def walk(tr: Track) -> None:
    """Walking in profile (or three-quarter view) across the frame."""
    d = tr.sign()
    tr.yaw += d * tr.u(55, 90)
    cyc = tr.u(1.0, 2.0)
    th = 2 * np.pi * cyc * tr.s + tr.phase()
    a_leg, a_arm = tr.u(25, 40), tr.u(20, 40)
    for side, ph in (("r", 0.0), ("l", np.pi)):
        tr.bend(f"{side}_knee", beta=a_leg * np.sin(th + ph))
        tr.bend(f"{side}_ankle", beta=-tr.u(25, 55) * np.clip(np.sin(th + ph + 1.2), 0, None))
        tr.bend(f"{side}_elbow", beta=-a_arm * np.sin(th + ph))
        tr.bend(f"{side}_wrist", beta=tr.u(10, 35))
    tr.bend("neck", beta=tr.u(0, 10))
    tr.path = d * tr.u(0.3, 0.5) * tr.s
    tr.lift = tr.u(0.01, 0.025) * np.abs(np.cos(th))
    tr.traits.update(direction="right" if d > 0 else "left")


def jump(tr: Track) -> None:
    """One or two jumps: crouch, take off with arms up, tuck or spread, land."""
    n = int(tr.rng.integers(1, 3))
    u = tr.s * n - np.floor(np.minimum(tr.s * n, n - 1e-9))
    crouch = bump(u, 0.0, 0.3) + 0.6 * bump(u, 0.88, 1.0)
    air = bump(u, 0.28, 0.92)
    star = tr.rng.random() < 0.5
    tr.lift = tr.u(0.12, 0.25) * np.sin(np.pi * np.clip((u - 0.3) / 0.6, 0, 1)) - 0.05 * crouch
    raise_ = tr.u(120, 170)
    for side in ("r", "l"):
        tr.bend(f"{side}_elbow", alpha=raise_ * air + tr.u(0, 20) * crouch, beta=-tr.u(10, 40) * crouch)
        tr.bend(f"{side}_knee", alpha=(tr.u(25, 40) if star else 0.0) * air,
                beta=50 * crouch + (0.0 if star else tr.u(30, 70)) * air)
        tr.bend(f"{side}_ankle", beta=-100 * crouch - (0.0 if star else tr.u(40, 90)) * air)
    tr.bend("neck", beta=20 * crouch)
    d = tr.sign()
    tr.path = d * tr.u(0.1, 0.35) * smooth(tr.s)
    tr.yaw += tr.u(-45, 45)
    tr.traits.update(count=str(n), style="star" if star else "tuck", direction="right" if d > 0 else "left")


def turn(tr: Track) -> None:
    """Spinning round on the spot with the arms out."""
    d = tr.sign()
    tr.yaw += tr.u(-30, 30) + d * tr.u(180, 360) * smooth(tr.s * 1.1)
    for side in ("r", "l"):
        tr.bend(f"{side}_elbow", alpha=tr.u(60, 100) + tr.u(5, 15) * osc(tr.s, 2, tr.phase()))
        tr.bend(f"{side}_wrist", alpha=tr.u(-20, 30))
    lift_leg = str(tr.rng.choice(["r", "l"]))
    tr.bend(f"{lift_leg}_knee", beta=tr.u(20, 60) * smooth(tr.s * 3), alpha=tr.u(0, 20))
    tr.bend(f"{lift_leg}_ankle", beta=-tr.u(30, 80) * smooth(tr.s * 3))
    tr.path = tr.u(-0.2, 0.2) * tr.s
    tr.traits.update(direction="clockwise" if d < 0 else "anticlockwise")


def cartwheel(tr: Track) -> None:
    """A cartwheel: the whole body rolls over with arms overhead and legs apart."""
    d = tr.sign()
    tr.roll += d * tr.u(270, 360) * smooth(tr.s * 1.05)
    spread = tr.u(25, 45)
    for side in ("r", "l"):
        tr.bend(f"{side}_elbow", alpha=tr.u(150, 175))
        tr.bend(f"{side}_knee", alpha=spread)
    tr.path = -d * tr.u(0.3, 0.5) * tr.s
    tr.lift = tr.u(0.0, 0.06) * np.sin(np.pi * tr.s)
    tr.traits.update(direction="left" if d > 0 else "right")


MOTIONS = {"wave": wave, "dance": dance, "walk": walk, "jump": jump, "turn": turn, "cartwheel": cartwheel}
