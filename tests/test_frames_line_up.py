"""A keypoint file made from a whole video drives any cut of that video: the frame rule's cut,
``max_frames``, and chunks that start later (issue 21). Real video files, real pose files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from motionctx.cli import run
from motionctx.engines.inputs import fit_inputs
from motionctx.engines.training.video import iter_chunks
from motionctx.io import read_video, write_image, write_video
from motionctx.plugins import build_part
from motionctx.pose import get_skeleton, save_poses
from motionctx.testing import random_image
from motionctx.types import Geometry, PoseSequence, Video

from .conftest import REPO

FRAMES, H, W = 150, 48, 64


def _x(t: int) -> float:
    """Where the neck of frame ``t`` stands: a different column for (nearly) every frame."""
    return 4.0 + 56.0 * t / (FRAMES - 1)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 150-frame video and the keypoint file made for it: one neck and one hip per frame,
    moving right by frame index (frame t's neck at x = _x(t))."""
    d = tmp_path_factory.mktemp("clip")
    frames = np.zeros((FRAMES, H, W, 3), np.uint8)
    for t in range(FRAMES):
        frames[t, :, int(_x(t))] = 255  # the video shows the same thing: a line at the neck's column
    video = write_video(d / "dance.mp4", Video.from_uint8(frames, fps=25))
    skeleton = get_skeleton("openpose_18")
    kp = torch.zeros(FRAMES, 1, 18, 2)
    sc = torch.zeros(FRAMES, 1, 18)
    for t in range(FRAMES):
        kp[t, 0, 1] = torch.tensor([_x(t), 10.0])  # neck
        kp[t, 0, 8] = torch.tensor([_x(t), 40.0])  # right hip
        sc[t, 0, [1, 8]] = 1.0
    poses = save_poses(d / "dance.poses.npz", PoseSequence(kp, sc, skeleton, (H, W), 25.0))
    reference = write_image(d / "ref.png", random_image(H, W, seed=5))
    return {"video": video, "poses": poses, "reference": reference, "dir": d}


def _columns(motion: torch.Tensor) -> list[float]:
    """The mean column of the drawn skeleton in each frame."""
    out = []
    for frame in motion:
        _, xs = torch.nonzero(frame.amax(0) > 0.2, as_tuple=True)
        out.append(float(xs.float().mean()))
    return out


def _compose_recipe(tmp_path: Path, clip: dict[str, Path], driving: Path) -> Path:
    """A compose recipe driven by ``driving`` with the clip's keypoint file as the pose estimator."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"""\
motionctx: 1
parts:
  motion: {{use: pose, with: {{estimator: {{use: keypoints_file, with: {{path: "{clip["poses"]}"}}}}}}}}
  composer: {{use: spatial}}
stages:
  - run: compose
    with: {{reference: "{clip["reference"]}", driving: "{driving}"}}
""")
    return recipe


def test_compose_cuts_150_frames_to_149_and_the_keypoint_file_follows(clip: dict[str, Path], tmp_path: Path) -> None:
    recipe = _compose_recipe(tmp_path, clip, clip["video"])
    assert run(["recipe", "run", str(recipe), "-o", str(tmp_path / "out"), "--no-progress"]) == 0
    motion = read_video(tmp_path / "out" / "motion.mp4").frames
    assert motion.shape[0] == 149  # 4k+1: the last frame is cut, the pose file (150 entries) is not refused
    columns = _columns(motion)
    for t in (0, 74, 148):  # frame t is drawn from pose t
        assert abs(columns[t] - (_x(t) - 0.5)) <= 1.5, (t, columns[t], _x(t))


def test_max_frames_and_the_frame_rule_in_fit_inputs_decode_only_the_frames_used(clip: dict[str, Path]) -> None:
    fitted = fit_inputs(clip["reference"], clip["video"], Geometry(), max_frames=100)
    assert fitted.driving.num_frames == 97 and fitted.driving.start == 0
    assert any("cut from 100 to 97" in n for n in fitted.notes)
    estimator = build_part("pose_estimator", "keypoints_file", {"path": str(clip["poses"])})
    poses = estimator.estimate(fitted.driving)
    assert poses.num_frames == 97
    assert float(poses.keypoints[96, 0, 1, 0]) == pytest.approx(_x(96))


def test_chunks_that_start_later_get_their_own_frames_of_the_file(clip: dict[str, Path]) -> None:
    estimator = build_part("pose_estimator", "keypoints_file", {"path": str(clip["poses"])})
    chunks = list(iter_chunks(clip["video"], 64))
    assert [(c.start, c.num_frames) for c in chunks] == [(0, 64), (64, 64), (128, 22)]
    necks = torch.cat([estimator.estimate(c).keypoints[:, 0, 1, 0] for c in chunks])
    torch.testing.assert_close(necks, torch.tensor([_x(t) for t in range(FRAMES)]))


def test_a_pose_file_shorter_than_the_cut_is_refused_naming_both(clip: dict[str, Path], tmp_path: Path, capsys) -> None:
    longer = write_video(tmp_path / "longer.mp4", Video(torch.zeros(160, 3, H, W), 25.0))
    recipe = _compose_recipe(tmp_path, clip, longer)
    assert run(["recipe", "run", str(recipe), "-o", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "has 150 frames but the video uses its first 157 frames" in err
    assert not (tmp_path / "out").exists()


def test_a_keypoint_file_drives_the_animate_command_on_a_cut_of_its_video(
    clip: dict[str, Path], tmp_path: Path
) -> None:
    """The one-line command with the bundled toy model: 9 of the 150 frames, poses from the file."""
    estimator = f'{{use: keypoints_file, with: {{path: "{clip["poses"]}"}}}}'
    code = run([
        "animate", str(clip["reference"]), str(clip["video"]), "-o", str(tmp_path / "out"), "--no-progress",
        "--recipe", str(REPO / "recipes" / "animate.yaml"),
        "--set", f"parts.motion.with.estimator={estimator}", "--set", "stages.0.with.max_frames=9",
    ])  # fmt: skip
    assert code == 0
    out = read_video(tmp_path / "out" / "out.mp4")
    assert out.num_frames == 9 and out.size == (32, 32)
