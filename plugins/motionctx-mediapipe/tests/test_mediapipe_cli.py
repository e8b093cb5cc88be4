"""``motionctx pose extract -e mediapipe`` and ``pose render`` through the real CLI, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .conftest import CROP, OFFSETS


def motionctx(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "motionctx.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_extract_then_render(crop_video: Path, tmp_path: Path) -> None:
    pytest.importorskip("mediapipe.python.solutions.holistic", reason="mediapipe is not installed")
    from motionctx.io import read_video
    from motionctx.pose import load_poses

    poses_path, skeleton_path = tmp_path / "astronaut.npz", tmp_path / "skeleton.mp4"
    done = motionctx("pose", "extract", str(crop_video), "-e", "mediapipe", "--out", str(poses_path))
    assert done.returncode == 0, done.stderr
    assert f"{len(OFFSETS)} frames, 1 people, openpose_134, {CROP[0]}x{CROP[1]}" in done.stdout
    poses = load_poses(poses_path)
    assert poses.skeleton.name == "openpose_134" and poses.size == CROP

    done = motionctx("pose", "render", str(poses_path), "--out", str(skeleton_path))
    assert done.returncode == 0, done.stderr
    skeleton = read_video(skeleton_path)
    assert skeleton.num_frames == len(OFFSETS) and skeleton.size == CROP
    # the drawing lies on the person: bright pixels around the face points, black far from any point
    frame = skeleton.to_uint8()[0].numpy().astype(int)
    x, y = poses.keypoints[0, 0, 24 + 30].numpy().astype(int)  # nose tip
    assert frame[y - 3 : y + 4, x - 3 : x + 4].max() > 200
    assert frame[-20:, :20].max() < 30 and np.count_nonzero(frame.max(-1) > 100) > 500


def test_extract_with_an_unknown_parameter_names_it(crop_video: Path, tmp_path: Path) -> None:
    done = motionctx("pose", "extract", str(crop_video), "-e", "mediapipe", "--with", "model_complexity=2",
                     "--out", str(tmp_path / "x.npz"))  # fmt: skip
    assert done.returncode != 0 and "model_complexity" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
