"""From angles to pixels: forward kinematics, yaw, roll and placement in the frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motionctx.errors import InputError
from motionctx_toy.body import solve
from motionctx_toy.character import Character
from motionctx_toy.motion import Motion
from motionctx_toy.rig import Rig, rig_for


@dataclass(frozen=True)
class Placement:
    """Where a character's motion lands in the frame.

    A motion's root path is given in frame widths around the centre; ``x`` moves that centre,
    ``span`` shrinks the path, ``scale`` resizes the character and ``ground`` (a fraction of the
    frame height) overrides the motion's ground line. The default leaves the motion as it is.
    """

    x: float = 0.5
    span: float = 1.0
    scale: float = 1.0
    ground: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {"x": self.x, "span": self.span, "scale": self.scale, "ground": self.ground}


@dataclass(frozen=True, eq=False)
class Posed:
    """One character posed over time: joint pixels ``[T, J, 2]`` (x, y), depth ``[T, J]`` (body
    units, larger is nearer the camera), absolute bone angles ``[T, B, 2]`` and pixels per unit."""

    rig: Rig
    joints: np.ndarray
    depth: np.ndarray
    angles: np.ndarray
    ppu: float

    def keypoints(self) -> tuple[np.ndarray, np.ndarray]:
        """Keypoints ``[T, K, 2]`` and scores ``[T, K]`` in the family's skeleton order.

        A score is 0 for a face point turned away from the camera and for points outside the frame.
        """
        plan = self.rig.plan
        kp = self.joints[:, plan.keypoint_joints]
        scores = np.ones(kp.shape[:2], np.float32)
        pos = {k: i for i, k in enumerate(plan.keypoints)}
        ji = plan.joint_index
        for name, ref in plan.facing:
            away = self.depth[:, ji[name]] < self.depth[:, ji[ref]] - 1e-4
            scores[away, pos[name]] = 0.0
        return kp, scores


def pose(character: Character, motion: Motion, size: tuple[int, int], placement: Placement | None = None) -> Posed:
    """Pose ``character`` with ``motion`` in a frame of ``size (H, W)``."""
    if motion.family != character.family:
        raise InputError(
            f"a {motion.family} motion cannot drive a {character.family} character",
            "draw the motion from the character's family",
        )
    pl = placement or Placement()
    rig = rig_for(character)
    angles, j3 = solve(rig.plan, rig.lengths, motion.offsets)
    cy, sy = np.cos(motion.yaw)[:, None], np.sin(motion.yaw)[:, None]
    x = j3[..., 0] * cy + j3[..., 2] * sy
    z = -j3[..., 0] * sy + j3[..., 2] * cy
    y = j3[..., 1]
    p = rig.plan.joint_index[motion.pivot]
    px, py = x[:, p : p + 1], y[:, p : p + 1]
    cr, sr = np.cos(motion.roll)[:, None], np.sin(motion.roll)[:, None]
    xr = px + (x - px) * cr - (y - py) * sr
    yr = py + (x - px) * sr + (y - py) * cr
    h, w = size
    ppu = float(character.stature * h / rig.height * pl.scale)
    ground = motion.ground if pl.ground is None else pl.ground
    cx = w * (pl.x + (motion.root_x - 0.5) * pl.span)
    base_y = h * ground - motion.lift * h - rig.anchor * ppu
    joints = np.stack([cx[:, None] + xr * ppu, base_y[:, None] - yr * ppu], axis=-1).astype(np.float32)
    return Posed(rig=rig, joints=joints, depth=z.astype(np.float32), angles=angles, ppu=ppu)
