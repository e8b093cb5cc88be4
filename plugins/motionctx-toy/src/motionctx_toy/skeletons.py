"""Keypoint formats of the toy families as :class:`motionctx.types.Skeleton` data.

The humanoid's keypoints are the 18 OpenPose points in OpenPose order, so its poses use
``openpose_18`` from :mod:`motionctx.pose` and the real renderer and augmentation apply
unchanged. Quadrupeds and birds get ``toy_quadruped`` and ``toy_bird``, registered with
:func:`motionctx.pose.register_skeleton` so that pose files in those formats load anywhere.
This module is plain data (no numpy), cheap enough to import during plugin discovery.
"""

from __future__ import annotations

import colorsys
from functools import cache

from motionctx.errors import InputError
from motionctx.types import Skeleton

#: Joint names the body plans use, in each skeleton's keypoint order.
KEYPOINTS: dict[str, tuple[str, ...]] = {
    "humanoid": (
        "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
        "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear",
    ),
    "quadruped": (
        "nose", "l_eye", "r_eye", "l_ear", "r_ear", "neck", "withers", "croup", "tail_mid", "tail_tip",
        "fl_elbow", "fl_knee", "fl_paw", "fr_elbow", "fr_knee", "fr_paw",
        "hl_stifle", "hl_hock", "hl_paw", "hr_stifle", "hr_hock", "hr_paw",
    ),
    "bird": (
        "beak", "head", "neck", "body", "tail",
        "r_shoulder", "r_elbow", "r_wrist", "r_wingtip", "l_shoulder", "l_elbow", "l_wrist", "l_wingtip",
        "r_knee", "r_foot", "l_knee", "l_foot", "r_eye", "l_eye",
    ),
}

SKELETON_NAMES = {"humanoid": "openpose_18", "quadruped": "toy_quadruped", "bird": "toy_bird"}

#: family -> (edges by joint name, root, groups of edge positions for bone-length augmentation)
_TOY: dict[str, tuple[tuple[tuple[str, str], ...], str, dict[str, tuple[int, ...]]]] = {
    "quadruped": (
        (
            ("withers", "croup"), ("withers", "neck"), ("neck", "nose"), ("nose", "l_eye"), ("l_eye", "l_ear"),
            ("nose", "r_eye"), ("r_eye", "r_ear"), ("croup", "tail_mid"), ("tail_mid", "tail_tip"),
            ("withers", "fl_elbow"), ("fl_elbow", "fl_knee"), ("fl_knee", "fl_paw"),
            ("withers", "fr_elbow"), ("fr_elbow", "fr_knee"), ("fr_knee", "fr_paw"),
            ("croup", "hl_stifle"), ("hl_stifle", "hl_hock"), ("hl_hock", "hl_paw"),
            ("croup", "hr_stifle"), ("hr_stifle", "hr_hock"), ("hr_hock", "hr_paw"),
        ),
        "withers",
        {"spine": (0,), "neck": (1,), "head": (2, 3, 4, 5, 6), "tail": (7, 8), "front_left_leg": (9, 10, 11),
         "front_right_leg": (12, 13, 14), "hind_left_leg": (15, 16, 17), "hind_right_leg": (18, 19, 20)},
    ),
    "bird": (
        (
            ("body", "neck"), ("neck", "head"), ("head", "beak"), ("head", "r_eye"), ("head", "l_eye"),
            ("body", "tail"), ("body", "r_shoulder"), ("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist"),
            ("r_wrist", "r_wingtip"), ("body", "l_shoulder"), ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"),
            ("l_wrist", "l_wingtip"), ("body", "r_knee"), ("r_knee", "r_foot"), ("body", "l_knee"),
            ("l_knee", "l_foot"),
        ),
        "body",
        {"neck": (0, 1), "head": (2, 3, 4), "tail": (5,), "shoulders": (6, 10), "right_wing": (7, 8, 9),
         "left_wing": (11, 12, 13), "right_leg": (14, 15), "left_leg": (16, 17)},
    ),
}


def _rainbow(n: int) -> tuple[tuple[int, int, int], ...]:
    out = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb(i / n, 1.0, 1.0)
        out.append((round(r * 255), round(g * 255), round(b * 255)))
    return tuple(out)


def _toy(family: str) -> Skeleton:
    edges_by_name, root, groups = _TOY[family]
    names = KEYPOINTS[family]
    idx = {k: i for i, k in enumerate(names)}
    edges = tuple((idx[a], idx[b]) for a, b in edges_by_name)
    parents = [-1] * len(names)
    for a, b in edges:
        parents[b] = a
    return Skeleton(SKELETON_NAMES[family], names, edges, idx[root], tuple(parents), dict(groups), _rainbow(len(edges)))


@cache
def skeleton_for(family: str) -> Skeleton:
    """The Skeleton a family's poses use (``openpose_18``, ``toy_quadruped`` or ``toy_bird``)."""
    if family not in SKELETON_NAMES:
        raise InputError(f"unknown toy family {family!r}", f"families: {', '.join(SKELETON_NAMES)}")
    if family == "humanoid":
        from motionctx.pose import get_skeleton

        return get_skeleton("openpose_18")
    return _toy(family)


def get_toy_skeleton(name: str) -> Skeleton:
    """A toy keypoint format by name: ``openpose_18``, ``toy_quadruped`` or ``toy_bird``."""
    for family, sk_name in SKELETON_NAMES.items():
        if sk_name == name:
            return skeleton_for(family)
    raise InputError(f"unknown toy keypoint format {name!r}", f"formats: {', '.join(SKELETON_NAMES.values())}")


def register_toy_skeletons() -> None:
    """Make ``toy_quadruped`` and ``toy_bird`` known to :func:`motionctx.pose.get_skeleton`."""
    from motionctx.pose import register_skeleton

    for family in _TOY:
        register_skeleton(skeleton_for(family), replace=True)


register_toy_skeletons()  # pose files in toy formats load as soon as the toy package is imported
