"""Benchmark metrics on toy clips, and the copy-the-reference baseline."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from motionctx.errors import InputError
from motionctx.types import Video
from motionctx_toy import ToyWorld
from motionctx_toy.metrics import (
    MAX_PSNR,
    copy_reference,
    foreground_colour_distance,
    foreground_mask,
    iou,
    keypoint_error,
    psnr,
    score_case,
    silhouette_iou,
    ssim,
)


@pytest.fixture(scope="module")
def heldout() -> ToyWorld:
    return ToyWorld(split="heldout")


def test_identical_clips_score_perfectly(heldout: ToyWorld) -> None:
    case = heldout.cross_identity_case(heldout.seed(0))
    scores = score_case(case.target.video, case)
    assert scores["psnr"] == MAX_PSNR
    assert scores["ssim"] == pytest.approx(1.0, abs=1e-4)
    assert scores["iou"] == 1.0
    assert scores["colour_distance"] == 0.0
    sample = case.sample()
    assert sample.target is case.target.video and sample.text == case.target.caption


def test_scores_drop_for_a_different_clip(heldout: ToyWorld) -> None:
    a, b = heldout.clip(heldout.seed(1)), heldout.clip(heldout.seed(2))
    assert psnr(a.video, b.video) < 30
    assert ssim(a.video, b.video) < 0.95
    assert iou(a.mask, b.mask) < 0.5
    assert silhouette_iou(a.video, a.mask, a.background) == 1.0
    noisy = Video((a.video.frames + 0.01).clamp(0, 1), a.video.fps)
    assert 35 < psnr(noisy, a.video) < MAX_PSNR


def test_copy_baseline_is_weak_on_moving_clips(heldout: ToyWorld) -> None:
    ious = []
    for i in range(12):
        case = heldout.cross_identity_case(heldout.seed(i))
        s = score_case(copy_reference(case), case)
        assert s["iou"] < 1.0
        ious.append(s["iou"])
    assert sum(ious) / len(ious) < 0.5


def test_foreground_colour_distance() -> None:
    clip = ToyWorld().clip(4)
    assert foreground_colour_distance(clip.video, clip.video, clip.mask, clip.mask) == 0.0
    shifted = Video((clip.video.frames * 0.5), clip.video.fps)
    assert foreground_colour_distance(shifted, clip.video, clip.mask, clip.mask) > 0.05
    empty = torch.zeros_like(clip.mask)
    assert foreground_colour_distance(clip.video, clip.video, empty, clip.mask) == pytest.approx(math.sqrt(3))


def test_keypoint_error() -> None:
    poses = ToyWorld().clip(6).poses
    assert keypoint_error(poses, poses) == 0.0
    moved = dataclasses.replace(poses, keypoints=poses.keypoints + torch.tensor([3.0, 4.0]))
    assert keypoint_error(moved, poses) == pytest.approx(5.0, abs=1e-4)
    assert keypoint_error(moved, poses, normalize=True) == pytest.approx(5.0 / 64, abs=1e-5)
    hidden = dataclasses.replace(poses, scores=torch.zeros_like(poses.scores))
    assert math.isnan(keypoint_error(hidden, poses))


def test_mismatched_inputs_are_reported() -> None:
    a, b = ToyWorld().clip(1), ToyWorld(frames=5).clip(1)
    with pytest.raises(InputError, match="differ in shape"):
        psnr(a.video, b.video)
    with pytest.raises(InputError):
        foreground_mask(a.video, torch.zeros(3, 8, 8))
