"""A character compiled against its family's body plan: arrays the renderer uses directly."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from motionctx_toy.body import BodyPlan, solve
from motionctx_toy.character import Character
from motionctx_toy.families import family as family_module


@dataclass(frozen=True, eq=False)
class Rig:
    """Bone lengths, primitive radii (body units), colours and joint indices for one character.

    Primitives are ordered capsules, then blobs, then quads; ``base``/``accent`` are RGB per
    primitive, ``patterned`` says which ones take the texture pattern.
    """

    plan: BodyPlan
    lengths: np.ndarray
    cap_joints: np.ndarray  # [Nc, 2]
    cap_radius: np.ndarray  # [Nc, 2]
    blob_joints: np.ndarray  # [Nb, 3] centre, axis from, axis to
    blob_radius: np.ndarray  # [Nb, 2] rx, ry
    blob_square: np.ndarray  # [Nb] bool: squareness exponent 4 instead of 2
    blob_facing: np.ndarray  # [Nb] joint index or -1
    quad_joints: np.ndarray  # [Nq, 6] four corners + pattern axis
    bias: np.ndarray  # [N]
    base: np.ndarray  # [N, 3]
    accent: np.ndarray  # [N, 3]
    patterned: np.ndarray  # [N] bool
    anchor: float  # rest-pose distance from root down to the lowest painted point
    height: float  # rest-pose painted height

    @property
    def num_primitives(self) -> int:
        return len(self.bias)


_CACHE: weakref.WeakKeyDictionary[Character, Rig] = weakref.WeakKeyDictionary()


def rig_for(character: Character) -> Rig:
    """The compiled rig of ``character`` (cached per object)."""
    rig = _CACHE.get(character)
    if rig is None:
        rig = _build(character)
        _CACHE[character] = rig
    return rig


def _build(ch: Character) -> Rig:
    plan = family_module(ch.family).PLAN
    ji = plan.joint_index
    hw, hh, power = ch.head_size
    caps, blobs, quads = plan.capsules, plan.blobs, plan.quads
    cap_joints = np.array([[ji[c.a], ji[c.b]] for c in caps], np.int64).reshape(-1, 2)
    cap_radius = np.array([[c.r0, c.r1] for c in caps], np.float32).reshape(-1, 2)
    cap_radius *= np.array([ch.widths[c.scale] for c in caps], np.float32)[:, None]
    blob_joints = np.array([[ji[b.centre], ji[b.axis[0]], ji[b.axis[1]]] for b in blobs], np.int64).reshape(-1, 3)
    head_mult = ch.proportions.get("head", 1.0)
    blob_radius = np.array(
        [[b.rx * hw * head_mult, b.ry * hh * head_mult] if b.head else [b.rx * ch.widths[b.scale], b.ry * ch.widths[b.scale]]
         for b in blobs],
        np.float32,
    ).reshape(-1, 2)
    blob_square = np.array([b.head and power > 2 for b in blobs], bool)
    blob_facing = np.array([ji[b.facing] if b.facing else -1 for b in blobs], np.int64)
    quad_joints = np.array([[*(ji[c] for c in q.corners), ji[q.axis[0]], ji[q.axis[1]]] for q in quads], np.int64)
    quad_joints = quad_joints.reshape(-1, 6)
    prims = (*caps, *blobs, *quads)
    colours = {k: np.array(v, np.float32) for k, v in ch.colours.items()}
    lengths = plan.bone_lengths(ch.proportions)
    anchor, height = _extent(plan, lengths, cap_joints, cap_radius, blob_joints, blob_radius)
    return Rig(
        plan=plan,
        lengths=lengths,
        cap_joints=cap_joints,
        cap_radius=cap_radius,
        blob_joints=blob_joints,
        blob_radius=blob_radius,
        blob_square=blob_square,
        blob_facing=blob_facing,
        quad_joints=quad_joints,
        bias=np.array([p.bias for p in prims], np.float32),
        base=np.stack([colours[p.role] for p in prims]).astype(np.float32),
        accent=np.stack([colours["accent"]] * len(prims)).astype(np.float32),
        patterned=np.array([p.patterned and ch.pattern != "plain" for p in prims], bool),
        anchor=anchor,
        height=height,
    )


def _extent(plan, lengths, cap_joints, cap_radius, blob_joints, blob_radius) -> tuple[float, float]:
    _, joints = solve(plan, lengths, np.zeros((1, len(plan.bones), 2), np.float32))
    y = joints[0, :, 1]
    lows = [y[cap_joints[:, 0]] - cap_radius[:, 0], y[cap_joints[:, 1]] - cap_radius[:, 1],
            y[blob_joints[:, 0]] - blob_radius.max(axis=1)]
    highs = [y[cap_joints[:, 0]] + cap_radius[:, 0], y[cap_joints[:, 1]] + cap_radius[:, 1],
             y[blob_joints[:, 0]] + blob_radius.max(axis=1)]
    low = float(min(a.min() for a in lows if a.size))
    high = float(max(a.max() for a in highs if a.size))
    return -low, high - low
