"""Body plans: bones, drawable primitives and forward kinematics shared by every family.

A body lives in its own 3D frame: ``x`` and ``y`` span the family's main plane (the frontal plane
of a humanoid or bird, the side plane of a quadruped), ``y`` points up and ``z`` points out of the
main plane. Each bone has a rest direction given by two angles (``alpha`` inside the main plane,
``beta`` towards ``z``). A motion adds angle offsets per bone; a bone's offsets also turn every
bone below it, unless it opts out. Lengths come from the identity, angles from the motion, so any
motion of a family fits any identity of that family.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np


def direction(x: float, y: float, z: float) -> tuple[float, float]:
    """``(alpha, beta)`` in degrees for a 3D direction in the body frame."""
    n = math.sqrt(x * x + y * y + z * z)
    return math.degrees(math.atan2(y, x)), math.degrees(math.asin(z / n))


@dataclass(frozen=True)
class Bone:
    """Places ``joint`` relative to ``parent`` (the root when ``parent`` is the plan's root).

    ``length`` sums ``base * proportion[key]`` over its ``(key, base)`` pairs; ``side`` is -1 for
    the body's right, +1 for its left, 0 for the midline (mirrored families flip alpha offsets
    of the right side so that a motion means the same movement on both sides).
    """

    joint: str
    parent: str
    alpha: float
    beta: float = 0.0
    length: tuple[tuple[str, float], ...] = ()
    side: int = 0
    inherit_alpha: bool = True
    inherit_beta: bool = True


@dataclass(frozen=True)
class Capsule:
    """A segment from joint ``a`` to ``b`` with a radius tapering from ``r0`` to ``r1`` (body units,
    multiplied by the identity's ``scale`` width factor)."""

    a: str
    b: str
    r0: float
    r1: float
    role: str
    bias: float = 0.0
    scale: str = "limb"
    patterned: bool = True


@dataclass(frozen=True)
class Blob:
    """An ellipse (or rounded square) at ``centre``, its ``ry`` axis along the joint pair ``axis``.

    ``head=True`` takes width, height and squareness from the identity's head shape.
    ``facing`` blobs (eyes) are drawn only while they point towards the camera.
    """

    centre: str
    axis: tuple[str, str]
    rx: float
    ry: float
    role: str
    bias: float = 0.0
    scale: str = "one"
    head: bool = False
    facing: str = ""
    patterned: bool = False


@dataclass(frozen=True)
class Quad:
    """A convex quadrilateral through four joints (a humanoid torso); ``axis`` orients its pattern."""

    corners: tuple[str, str, str, str]
    axis: tuple[str, str]
    role: str
    bias: float = 0.0
    patterned: bool = True


@dataclass(frozen=True)
class BodyPlan:
    """Everything a family's bodies share: bones, keypoints, primitives and proportion keys."""

    family: str
    root: str
    bones: tuple[Bone, ...]
    keypoints: tuple[str, ...]
    capsules: tuple[Capsule, ...]
    blobs: tuple[Blob, ...] = ()
    quads: tuple[Quad, ...] = ()
    mirror: bool = False
    #: keypoint name -> the joint whose position relative to it decides visibility (faces)
    facing: tuple[tuple[str, str], ...] = ()

    @cached_property
    def joints(self) -> tuple[str, ...]:
        return (self.root, *(b.joint for b in self.bones))

    @cached_property
    def joint_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.joints)}

    @cached_property
    def bone_index(self) -> dict[str, int]:
        """Bone index by the joint it places."""
        return {b.joint: i for i, b in enumerate(self.bones)}

    @cached_property
    def keypoint_joints(self) -> np.ndarray:
        return np.array([self.joint_index[k] for k in self.keypoints])

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """Rest angles (radians), mirror signs and the chain matrices used by :func:`solve`."""
        nb = len(self.bones)
        bi = self.bone_index
        parent = [bi.get(b.parent, -1) for b in self.bones]
        for i, b in enumerate(self.bones):
            if b.parent != self.root and parent[i] < 0:
                raise ValueError(f"{self.family}: bone {b.joint} has unknown parent {b.parent}")
            if parent[i] >= i:
                raise ValueError(f"{self.family}: bone {b.joint} listed before its parent")
        path = np.zeros((nb, nb), np.float32)  # path[a, c] = 1 if bone a lies on the root->c chain
        inh_a = np.zeros((nb, nb), np.float32)
        inh_b = np.zeros((nb, nb), np.float32)
        for c, bone in enumerate(self.bones):
            a = c
            while a >= 0:
                path[a, c] = 1.0
                if a == c or bone.inherit_alpha:
                    inh_a[a, c] = 1.0
                if a == c or bone.inherit_beta:
                    inh_b[a, c] = 1.0
                a = parent[a]
        sign = np.array([-1.0 if (self.mirror and b.side < 0) else 1.0 for b in self.bones], np.float32)
        return {
            "alpha": np.radians([b.alpha for b in self.bones]).astype(np.float32),
            "beta": np.radians([b.beta for b in self.bones]).astype(np.float32),
            "sign": sign,
            "path": path,
            "inherit_alpha": inh_a,
            "inherit_beta": inh_b,
        }

    def bone_lengths(self, proportions: dict[str, float]) -> np.ndarray:
        """Length of every bone (body units) for an identity's proportion multipliers."""
        return np.array(
            [sum(base * proportions.get(key, 1.0) for key, base in b.length) for b in self.bones], np.float32
        )


def solve(plan: BodyPlan, lengths: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward kinematics.

    ``offsets [T, B, 2]`` (radians, alpha/beta) -> ``(angles [T, B, 2], joints [T, J, 3])``: the
    absolute bone angles and the joint positions in body units, root at the origin.
    """
    arr = plan.arrays
    off_a = offsets[..., 0] * arr["sign"]
    alpha = arr["alpha"] + off_a @ arr["inherit_alpha"]
    beta = arr["beta"] + offsets[..., 1] @ arr["inherit_beta"]
    cb = np.cos(beta)
    vec = np.stack([cb * np.cos(alpha), cb * np.sin(alpha), np.sin(beta)], axis=-1) * lengths[:, None]
    pos = np.einsum("tbk,bc->tck", vec, arr["path"])
    t = offsets.shape[0]
    joints = np.concatenate([np.zeros((t, 1, 3), np.float32), pos.astype(np.float32)], axis=1)
    return np.stack([alpha, beta], axis=-1).astype(np.float32), joints
