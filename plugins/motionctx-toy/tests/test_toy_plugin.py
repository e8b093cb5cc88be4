"""The installed distribution: entry point, discovery weight, and the ``toy_truth`` / ``toy_caption`` parts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from motionctx.errors import InputError
from motionctx.plugins import load_plugins
from motionctx.types import Video
from motionctx_toy import ToyWorld
from motionctx_toy.assets import save_clip
from motionctx_toy.parts import ToyCaptionGuider, ToyTruthEstimator


@pytest.fixture(scope="module")
def registry():
    return load_plugins(strict=False).registry


def test_entry_point_registers_the_parts(registry) -> None:
    plugins = load_plugins()
    info = plugins.info("toy")
    assert info.distribution == "motionctx-toy" and info.error is None
    assert ("pose_estimator", "toy_truth") in info.parts and ("text_guider", "toy_caption") in info.parts
    assert registry.entry("pose_estimator", "toy_truth").cls is ToyTruthEstimator
    assert registry.entry("text_guider", "toy_caption").cls is ToyCaptionGuider


def test_discovery_does_not_import_torch() -> None:
    code = (
        "import sys; from motionctx.plugins import load_plugins; p = load_plugins();"
        "assert p.info('toy').error is None; from motionctx.pose import get_skeleton; get_skeleton('toy_bird');"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_toy_truth_returns_the_ground_truth(registry) -> None:
    clip = ToyWorld().clip(17, family="quadruped", characters=2)
    est = registry.build("pose_estimator", "toy_truth", {"clip": clip.metadata["spec"]})
    poses = est.estimate(clip.video)
    assert poses.skeleton.name == "toy_quadruped"
    assert torch.equal(poses.keypoints, clip.poses.keypoints)
    prefix = est.estimate(Video(clip.video.frames[:4], clip.video.fps))
    assert torch.equal(prefix.keypoints, clip.poses.keypoints[:4])
    big = Video(F.interpolate(clip.video.frames, scale_factor=2, mode="bilinear").clamp(0, 1), clip.video.fps)
    scaled = est.estimate(big)
    assert scaled.size == (128, 128)
    torch.testing.assert_close(scaled.keypoints, clip.poses.keypoints * 2)
    one = registry.build("pose_estimator", "toy_truth", {"clip": clip.metadata["spec"], "character": 1})
    assert one.estimate(clip.video).num_people == 1


def test_toy_truth_refuses_other_videos(registry) -> None:
    clip, other = ToyWorld().clip(1), ToyWorld().clip(2)
    est = registry.build("pose_estimator", "toy_truth", {"clip": clip.metadata["spec"]})
    with pytest.raises(InputError, match="does not match"):
        est.estimate(other.video)
    with pytest.raises(InputError, match="needs to know which toy clip"):
        registry.build("pose_estimator", "toy_truth", {}).estimate(clip.video)
    longer = ToyWorld(frames=12).clip(1).video
    with pytest.raises(InputError, match="frames"):
        est.estimate(longer)


def test_toy_truth_from_a_sidecar(registry, tmp_path: Path) -> None:
    from motionctx.io import read_video

    clip = ToyWorld(frames=9).clip(40, family="humanoid")
    path = save_clip(tmp_path / "drive.mp4", clip)
    video = read_video(path)
    est = registry.build("pose_estimator", "toy_truth", {"sidecar": str(tmp_path / "drive.toy.json")})
    poses = est.estimate(video)  # the pixel check tolerates the mp4 compression
    assert poses.skeleton.name == "openpose_18"
    assert torch.equal(poses.keypoints, clip.poses.keypoints)
    builtin = registry.build("pose_estimator", "keypoints_file", {"path": str(tmp_path / "drive.poses.npz")})
    torch.testing.assert_close(builtin.estimate(video).keypoints, clip.poses.keypoints)


def test_toy_caption_describes_identity_and_motion(registry) -> None:
    world = ToyWorld(split="heldout")
    clip = world.clip(world.seed(3), family="bird")
    guider = registry.build("text_guider", "toy_caption", {"clip": clip.metadata["spec"]})
    text = guider.describe(clip.frame(0), clip.video)
    assert text == clip.caption
    assert text.startswith("A ") and "bird" in text and ". It " in text
    other = {"family": "bird", "seed": world.seed(99)}
    swapped = registry.build("text_guider", "toy_caption", {"clip": clip.metadata["spec"], "character": other})
    new = swapped.describe(clip.frame(0), clip.video)
    assert new != text and new.split(". It ")[1] == text.split(". It ")[1]  # same motion, other identity
    with pytest.raises(InputError, match="needs to know"):
        registry.build("text_guider", "toy_caption", {}).describe(clip.frame(0), clip.video)
