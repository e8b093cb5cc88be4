"""Keypoint formats as data: COCO-WholeBody 133, OpenPose 18 and OpenPose whole-body 134.

``openpose_134`` is the layout DWPose hands to the ControlNet renderer: the 18 OpenPose body points
(with the neck), then feet 6, face 68, left hand 21, right hand 21. Its kinematic tree is rooted at
the neck; every tree bone is an edge, and ``groups`` name the edges scaled together by bone-length
augmentation. Plugins add their own formats with :func:`register_skeleton`.
"""

from __future__ import annotations

from itertools import pairwise

from motionctx.errors import InputError
from motionctx.types import Skeleton

__all__ = [
    "BODY_COLORS",
    "COCO_WHOLEBODY_133",
    "OPENPOSE_18",
    "OPENPOSE_134",
    "OPENPOSE_LIMBS",
    "get_skeleton",
    "register_skeleton",
    "skeleton_names",
]

SIDES = ("left", "right")
HAND_PARTS = ("wrist",) + tuple(f"{f}_{i}" for f in ("thumb", "index", "middle", "ring", "pinky") for i in range(1, 5))
#: Hand edges (21-point hand): each finger is a chain from the wrist.
HAND_EDGES = tuple((0 if i % 4 == 0 else i, i + 1) for i in range(20))
FEET = tuple(f"{s}_{p}" for s in SIDES for p in ("big_toe", "small_toe", "heel"))

#: 68-point face as a tree rooted at the nose tip (30): brows and eyes hang from the bridge, the
#: lips from the nose base, the jaw from the lower lip. Every landmark is reached exactly once.
_FACE_CHAINS = (
    (30, 29, 28, 27),
    (27, 21, 20, 19, 18, 17),
    (27, 22, 23, 24, 25, 26),
    (27, 39, 38, 37, 36, 41, 40),
    (27, 42, 43, 44, 45, 46, 47),
    (30, 33, 32, 31),
    (33, 34, 35),
    (33, 51, 50, 49, 48, 59, 58, 57),
    (51, 52, 53, 54, 55, 56),
    (51, 62, 61, 60, 67, 66),
    (62, 63, 64, 65),
    (57, 8, 7, 6, 5, 4, 3, 2, 1, 0),
    (8, 9, 10, 11, 12, 13, 14, 15, 16),
)
FACE_EDGES = tuple(pair for chain in _FACE_CHAINS for pair in pairwise(chain))
FACE_ROOT = 30

OPENPOSE_BODY = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)  # fmt: skip
#: The 19 OpenPose limbs in ControlNet's order (0-based); the renderer draws the first 17.
OPENPOSE_LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12),
    (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17), (2, 16), (5, 17),
)  # fmt: skip
#: The 18 OpenPose colours (RGB), one per limb and per body joint.
BODY_COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
    (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
    (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
_BODY_GROUPS = {
    "torso": ((1, 2), (1, 5), (1, 8), (1, 11)),
    "head": ((1, 0), (0, 14), (0, 15), (14, 16), (15, 17)),
    "right_upper_arm": ((2, 3),),
    "right_forearm": ((3, 4),),
    "left_upper_arm": ((5, 6),),
    "left_forearm": ((6, 7),),
    "right_thigh": ((8, 9),),
    "right_shin": ((9, 10),),
    "left_thigh": ((11, 12),),
    "left_shin": ((12, 13),),
}


def _hsv_edge_colors(n: int) -> tuple[tuple[int, int, int], ...]:
    """Fully saturated HSV colours with hue ``i / n`` (the ControlNet hand convention), as ints."""
    out = []
    for i in range(n):
        h6 = i / n * 6.0
        k, f = int(h6) % 6, h6 - int(h6)
        rgb = [(1, f, 0), (1 - f, 1, 0), (0, 1, f), (0, 1 - f, 1), (f, 0, 1), (1, 0, 1 - f)][k]
        out.append(tuple(round(c * 255) for c in rgb))
    return tuple(out)  # type: ignore[return-value]


HAND_COLORS = _hsv_edge_colors(len(HAND_EDGES))


def _build(name: str, *, feet: bool, face: bool, hands: bool) -> Skeleton:
    names = list(OPENPOSE_BODY)
    edges = list(OPENPOSE_LIMBS)
    colors = [BODY_COLORS[min(i, 17)] for i in range(len(edges))]
    groups = {g: [edges.index(e) for e in es] for g, es in _BODY_GROUPS.items()}
    parents = [1, -1, 1, 2, 3, 1, 5, 6, 1, 8, 9, 1, 11, 12, 0, 0, 14, 15]

    def add(e: tuple[int, int], group: str, color: tuple[int, int, int]) -> None:
        groups.setdefault(group, []).append(len(edges))
        edges.append(e)
        colors.append(color)

    if feet:
        base = len(names)
        names += FEET
        for j, ankle in enumerate((13, 13, 13, 10, 10, 10)):
            parents.append(ankle)
            add((ankle, base + j), f"{SIDES[j // 3]}_foot", BODY_COLORS[10 if ankle == 10 else 13])
    if face:
        base = len(names)
        names += [f"face_{i}" for i in range(68)]
        face_parent = {b: a for a, b in FACE_EDGES}
        parents += [0 if i == FACE_ROOT else base + face_parent[i] for i in range(68)]
        add((0, base + FACE_ROOT), "head", (255, 255, 255))
        for a, b in FACE_EDGES:
            add((base + a, base + b), "head", (255, 255, 255))
    if hands:
        for side, wrist in (("left", 7), ("right", 4)):
            base = len(names)
            names += [f"{side}_hand_{p}" for p in HAND_PARTS]
            parents += [wrist] + [base + a for a, _ in HAND_EDGES]
            add((wrist, base), f"{side}_hand", (0, 0, 255))
            for (a, b), c in zip(HAND_EDGES, HAND_COLORS):
                add((base + a, base + b), f"{side}_hand", c)
    return Skeleton(
        name=name,
        keypoints=tuple(names),
        edges=tuple(edges),
        root=1,
        parents=tuple(parents),
        groups={g: tuple(v) for g, v in groups.items()},
        colors=tuple(colors),
    )


OPENPOSE_18 = _build("openpose_18", feet=False, face=False, hands=False)
OPENPOSE_134 = _build("openpose_134", feet=True, face=True, hands=True)

COCO_BODY = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip
COCO_BODY_EDGES = (
    (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
    (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
)  # fmt: skip


def _coco_wholebody() -> Skeleton:
    names = list(COCO_BODY) + list(FEET) + [f"face_{i}" for i in range(68)]
    names += [f"{s}_hand_{p}" for s in SIDES for p in HAND_PARTS]
    edges = list(COCO_BODY_EDGES)
    edges += [(15, 17), (15, 18), (15, 19), (16, 20), (16, 21), (16, 22)]
    edges += [(23 + a, 23 + b) for a, b in FACE_EDGES]
    for base, wrist in ((91, 9), (112, 10)):
        edges += [(wrist, base)] + [(base + a, base + b) for a, b in HAND_EDGES]
    return Skeleton(name="coco_wholebody_133", keypoints=tuple(names), edges=tuple(edges), root=0)


COCO_WHOLEBODY_133 = _coco_wholebody()

#: Index ranges of the parts of ``openpose_134`` (start, stop).
OPENPOSE_134_PARTS = {
    "body": (0, 18),
    "feet": (18, 24),
    "face": (24, 92),
    "left_hand": (92, 113),
    "right_hand": (113, 134),
}

_SKELETONS: dict[str, Skeleton] = {s.name: s for s in (COCO_WHOLEBODY_133, OPENPOSE_18, OPENPOSE_134)}


def register_skeleton(skeleton: Skeleton, *, replace: bool = False) -> None:
    """Make ``skeleton`` known to :func:`get_skeleton` (plugins call this for their formats)."""
    old = _SKELETONS.get(skeleton.name)
    if old is not None and old != skeleton and not replace:
        raise InputError(f"a different skeleton named {skeleton.name!r} is already registered", "pick another name")
    _SKELETONS[skeleton.name] = skeleton


def skeleton_names() -> list[str]:
    """Names of every known keypoint format."""
    return sorted(_SKELETONS)


def get_skeleton(name: str) -> Skeleton:
    """The keypoint format called ``name``; unknown names list the known ones."""
    try:
        return _SKELETONS[name]
    except KeyError:
        from motionctx.suggest import closest

        match = closest(name, list(_SKELETONS))
        raise InputError(
            f"unknown keypoint format {name!r}",
            (f"did you mean {match!r}? " if match else "") + f"known formats: {', '.join(skeleton_names())}",
        ) from None
