"""The shared measurements on real tensors (and the video round trip where it matters)."""

from __future__ import annotations

import math

import pytest
import torch

from motionctx.metrics import colour_chamfer, interpolation_error, motion_correlation, pose_distance, static_flicker
from motionctx.types import PoseSequence, Skeleton, Video

from .conftest import square_clip

SKELETON = Skeleton("two_points", ("a", "b"), ((0, 1),))


def poses(track: list[tuple[float, float]], offset: float = 0.0, scale: float = 1.0) -> PoseSequence:
    """Two keypoints: a fixed anchor and one following ``track``; moved by ``offset``, scaled."""
    kp = torch.tensor([[[[0.0, 0.0], list(p)]] for p in track]) * scale + offset
    return PoseSequence(kp, torch.ones(len(track), 1, 2), SKELETON, (100, 100))


def test_pose_distance_ignores_place_and_size_but_not_motion():
    track = [(10.0, 10.0 + 5 * t) for t in range(6)]
    same = pose_distance(poses(track, offset=30, scale=2), poses(track))
    assert same[0] < 1e-6 and same[1] == 1.0
    still = pose_distance(poses([track[0]] * 6), poses(track))
    assert still[0] > 0.2
    assert motion_correlation(poses(track, 7, 3), poses(track)) == pytest.approx(1.0)
    assert motion_correlation(poses([track[0]] * 6), poses(track)) == 0.0
    backwards = [(10.0, 35.0 - 5 * t) for t in range(6)]
    assert motion_correlation(poses(backwards), poses(track)) < -0.5


def test_pose_distance_of_unseen_joints_is_nan():
    seq = poses([(1.0, 1.0)] * 3)
    blind = PoseSequence(seq.keypoints, torch.zeros(3, 1, 2), SKELETON, (100, 100))
    d, seen = pose_distance(blind, seq)
    assert math.isnan(d) and seen == 0.0


def test_flicker_counts_still_pixels_only():
    moving = Video(square_clip((0.9, 0.1, 0.1), (0.5, 0.5, 0.5), [2, 6, 10, 14, 18]))
    assert static_flicker(moving) == pytest.approx(0.0, abs=1e-6)
    noisy = moving.frames + 0.03 * torch.randn(moving.frames.shape, generator=torch.Generator().manual_seed(0))
    assert static_flicker(Video(noisy.clamp(0, 1))) > 0.01


def test_interpolation_error_prefers_smooth_motion():
    smooth = Video(square_clip((0.9, 0.1, 0.1), (0.5, 0.5, 0.5), [2, 5, 8, 11, 14, 17]))
    jumpy = Video(square_clip((0.9, 0.1, 0.1), (0.5, 0.5, 0.5), [2, 18, 4, 16, 6, 14]))
    assert interpolation_error(smooth) < interpolation_error(jumpy)


def test_colour_chamfer_grows_with_how_wrong_a_colour_is():
    red = torch.tensor([[0.9, 0.1, 0.1]]).repeat(50, 1)
    assert colour_chamfer(red, red) == 0.0
    near, far = red + 0.05, torch.tensor([[0.1, 0.2, 0.9]]).repeat(50, 1)
    assert colour_chamfer(near, red) < 0.15 and colour_chamfer(far, red) > 0.5
    assert colour_chamfer(red[:0], red) == pytest.approx(math.sqrt(3))


from motionctx.testing import ScorerConformance


class TestGroundTruth(ScorerConformance):
    part_name = "ground_truth"


class TestFlicker(ScorerConformance):
    part_name = "temporal_flicker"


class TestSmoothness(ScorerConformance):
    part_name = "motion_smoothness"


class TestIdentityColour(ScorerConformance):
    part_name = "identity_colour"
