"""The ``pose`` motion source end to end on real pose files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from motionctx.errors import RecipeError
from motionctx.pose import OPENPOSE_134, save_poses
from motionctx.testing import MotionSourceConformance, random_image, random_video
from motionctx.types import Image, PoseSequence

DARK_RED = (153, 0, 0)


def limb_poses(
    frames: int, size: tuple[int, int], neck: tuple[float, float], shoulder: tuple[float, float]
) -> PoseSequence:
    """One person with only the neck -> right-shoulder limb (red) visible."""
    kp = np.zeros((frames, 1, 134, 2))
    sc = np.zeros((frames, 1, 134))
    kp[:, 0, 1], kp[:, 0, 2] = neck, shoulder
    sc[:, 0, [1, 2]] = 0.9
    return PoseSequence(torch.tensor(kp).float(), torch.tensor(sc).float(), OPENPOSE_134, size, 10.0)


def build(params: dict):
    from motionctx.plugins import build_part

    source = build_part("motion_source", "pose", params)
    source.ensure_loaded()
    return source


class TestPoseConformance(MotionSourceConformance):
    part_name = "pose"

    @pytest.fixture(autouse=True)
    def _file(self, tmp_path: Path, make_poses, pose_plugins) -> None:
        path = save_poses(tmp_path / "drive.npz", make_poses(frames=5, size=(24, 40)))
        self.params = {"estimator": {"use": "keypoints_file", "with": {"path": str(path)}}}


def test_skeleton_lands_where_the_fit_puts_it(tmp_path: Path, pose_plugins) -> None:
    path = save_poses(tmp_path / "drive.npz", limb_poses(3, (100, 200), (80, 50), (120, 50)))
    source = build({"estimator": {"use": "keypoints_file", "with": {"path": str(path)}}})
    out = source.prepare(random_video(3, 100, 200, fps=12.0), random_image(50, 50))
    assert out.num_frames == 3 and out.size == (50, 50) and out.fps == 12.0
    frames = (out.frames * 255).round().byte().permute(0, 2, 3, 1).numpy()
    # crop: scale 0.5 to 50x100, 25 px cut on the left -> the limb spans x 15..35 at y 25
    assert tuple(frames[0, 25, 25]) == DARK_RED and (frames[:, 25, 25] == frames[0, 25, 25]).all()
    assert frames[0, :, 40:].max() == 0
    padded = build({"estimator": {"use": "keypoints_file", "with": {"path": str(path)}}, "fit": "pad"})
    pf = (padded.prepare(random_video(3, 100, 200), random_image(50, 50)).frames * 255).round().byte()
    assert tuple(pf[0, :, 12 + 12, 25].tolist()) == DARK_RED  # scale 0.25, 12 px bars: limb at y 24.5


def test_training_augments_reproducibly_and_inference_does_not(tmp_path: Path, make_poses, pose_plugins) -> None:
    path = save_poses(tmp_path / "drive.npz", make_poses(frames=3, size=(64, 64), spread=8.0))
    source = build({"estimator": {"use": "keypoints_file", "with": {"path": str(path)}}})
    drv, ref = random_video(3, 64, 64), random_image(64, 64)
    plain = source.prepare(drv, ref)
    assert torch.equal(plain.frames, source.prepare(drv, ref, train=False, rng=torch.Generator().manual_seed(1)).frames)
    a = source.prepare(drv, ref, train=True, rng=torch.Generator().manual_seed(1))
    b = source.prepare(drv, ref, train=True, rng=torch.Generator().manual_seed(1))
    assert torch.equal(a.frames, b.frames) and not torch.equal(a.frames, plain.frames)
    off = build(
        {
            "estimator": {"use": "keypoints_file", "with": {"path": str(path)}},
            "augment": {"bone_scale": None, "bbox_normalize": False},
        }
    )
    assert torch.equal(off.prepare(drv, ref, train=True, rng=torch.Generator().manual_seed(1)).frames, plain.frames)


def _drawn_box(frame: torch.Tensor) -> tuple[int, int, int, int]:
    ys, xs = torch.nonzero(frame.amax(0) > 0, as_tuple=True)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def test_align_to_reference_moves_the_skeleton_onto_the_reference_pose(tmp_path: Path, pose_plugins) -> None:
    drive = save_poses(tmp_path / "drive.npz", limb_poses(2, (64, 64), (10, 10), (30, 10)))
    ref_doc = tmp_path / "ref.json"
    body = [0.0] * 54
    body[3:6], body[6:9] = [30.0, 40.0, 0.9], [50.0, 40.0, 0.9]  # neck, right shoulder
    ref_doc.write_text(json.dumps({"people": [{"pose_keypoints_2d": body}], "canvas_height": 64, "canvas_width": 64}))
    params = {
        "estimator": {"use": "keypoints_file", "with": {"path": str(drive)}},
        "reference_estimator": {"use": "keypoints_file", "with": {"path": str(ref_doc)}},
        "align_to_reference": True,
    }
    out = build(params).prepare(random_video(2, 64, 64), Image(torch.zeros(3, 64, 64)))
    x0, y0, x1, y1 = _drawn_box(out.frames[0])
    assert abs(x0 - (30 - 4)) <= 1 and abs(x1 - (50 + 4)) <= 1 and abs((y0 + y1) / 2 - 40) <= 1
    unaligned = build({**params, "align_to_reference": False}).prepare(
        random_video(2, 64, 64), Image(torch.zeros(3, 64, 64))
    )
    assert _drawn_box(unaligned.frames[0])[0] <= 7


def test_recipe_validation_reaches_the_nested_estimator(pose_plugins) -> None:
    from motionctx.recipe import validate

    recipe = {
        "motionctx": 1,
        "parts": {"motion": {"use": "pose", "with": {"estimator": {"use": "keypoints_file", "with": {}}}}},
    }
    with pytest.raises(RecipeError, match="path"):
        validate(recipe)
    recipe["parts"]["motion"]["with"]["estimator"] = {"use": "keypoint_file"}
    with pytest.raises(RecipeError, match="keypoints_file"):
        validate(recipe)
    recipe["parts"]["motion"]["with"] = {"augment": {"bone_scale": [1.3, 0.7]}}
    with pytest.raises(RecipeError, match="bone_scale"):
        validate(recipe)
