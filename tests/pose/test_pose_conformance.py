"""The built-in pose estimator and motion source pass the conformance batteries."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch

from motionctx.pose import get_skeleton
from motionctx.pose.files import save_poses
from motionctx.testing import MotionSourceConformance, PoseEstimatorConformance, random_image, random_video
from motionctx.types import PoseSequence

_DIR = Path(tempfile.mkdtemp(prefix="motionctx-pose-conf-"))
_POSES = _DIR / "walk.npz"


def _write_poses(frames: int = 5, size: tuple[int, int] = (24, 40)) -> Path:
    sk = get_skeleton("coco_wholebody_133")
    g = torch.Generator().manual_seed(0)
    kp = torch.rand(frames, 1, sk.num_keypoints, 2, generator=g) * torch.tensor([size[1], size[0]]) * 0.6 + 4
    sc = torch.rand(frames, 1, sk.num_keypoints, generator=g) * 0.5 + 0.5
    return save_poses(_POSES, PoseSequence(kp, sc, sk, size, 10.0))


_write_poses()


class TestKeypointsFile(PoseEstimatorConformance):
    part_name = "keypoints_file"
    params = {"path": str(_POSES)}

    def make_video(self) -> Any:
        return random_video(5, 24, 40)


class TestPoseMotionSource(MotionSourceConformance):
    part_name = "pose"
    params = {"estimator": {"use": "keypoints_file", "with": {"path": str(_POSES)}}}

    def make_inputs(self) -> tuple[Any, Any]:
        return random_video(5, 24, 40), random_image(32, 32)
