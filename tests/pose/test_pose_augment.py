"""Bone-length scaling, bounding-box normalisation and fitting: the invariants they promise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionctx.errors import InputError
from motionctx.pose import (
    OPENPOSE_134,
    AugmentOptions,
    bbox,
    convert,
    fit_to_size,
    normalize_bbox,
    prepare_poses,
    sample_bone_factors,
    scale_bones,
    scale_bones_array,
)
from motionctx.pose.arrays import to_numpy

SK = OPENPOSE_134
BONES = [(p, k) for k, p in enumerate(SK.parents) if p >= 0]


def group_of(p: int, k: int) -> str:
    for g, edges in SK.groups.items():
        if any(set(SK.edges[e]) == {p, k} for e in edges):
            return g
    raise AssertionError((p, k))


def random_factors(seed: int = 0) -> dict[str, float]:
    return sample_bone_factors(SK, 0.7, 1.3, torch.Generator().manual_seed(seed))


@pytest.fixture
def body(make_poses):
    """Two people, four frames, all joints visible, in openpose_134."""
    return convert(make_poses(frames=4, people=2, seed=1), "openpose_134")


def test_identity_at_factor_one(body) -> None:
    out = scale_bones(body, 1.0)
    torch.testing.assert_close(out.keypoints, body.keypoints)
    torch.testing.assert_close(scale_bones(body, {g: 1.0 for g in SK.groups}).keypoints, body.keypoints)


def test_root_fixed_angles_kept_lengths_scaled_per_group(body) -> None:
    factors = random_factors(3)
    old, _ = to_numpy(body)
    new, _ = to_numpy(scale_bones(body, factors))
    np.testing.assert_allclose(new[..., SK.root, :], old[..., SK.root, :], atol=1e-4)
    for p, k in BONES:
        v_old, v_new = old[..., k, :] - old[..., p, :], new[..., k, :] - new[..., p, :]
        np.testing.assert_allclose(v_new, factors[group_of(p, k)] * v_old, atol=2e-3)  # length and direction
    cross = v_old[..., 0] * v_new[..., 1] - v_old[..., 1] * v_new[..., 0]
    assert np.abs(cross).max() < 1e-2


def test_uniform_factor_scales_about_the_root(body) -> None:
    old, _ = to_numpy(body)
    new, _ = to_numpy(scale_bones(body, 1.1))
    root = old[..., SK.root : SK.root + 1, :]
    np.testing.assert_allclose(new, root + 1.1 * (old - root), atol=2e-3)


def test_people_are_scaled_independently(body) -> None:
    factors = random_factors(4)
    both, _ = to_numpy(scale_bones(body, factors))
    kp, sc = to_numpy(body)
    alone = scale_bones_array(kp[:, 1:], sc[:, 1:], SK, factors)
    np.testing.assert_allclose(both[:, 1:], alone, atol=1e-4)


def test_missing_joints_stay_missing_and_children_hang_from_visible_ancestors(body) -> None:
    kp, sc = to_numpy(body)
    sc[..., 6] = 0.0  # left elbow missing
    f = {"left_upper_arm": 1.2, "left_forearm": 0.6, "torso": 1.0}
    new = scale_bones_array(kp, sc, SK, f)
    np.testing.assert_allclose(new[..., 6, :], kp[..., 6, :])  # keeps its (meaningless) coordinates
    # the wrist hangs from the shoulder, its offset scaled by the mean of the two arm factors
    np.testing.assert_allclose(new[..., 7, :], new[..., 5, :] + 0.9 * (kp[..., 7, :] - kp[..., 5, :]), atol=1e-9)
    # the hand follows the wrist rigidly (factor 1)
    np.testing.assert_allclose(new[..., 100, :] - new[..., 7, :], kp[..., 100, :] - kp[..., 7, :], atol=1e-9)

    sc2 = to_numpy(body)[1]
    sc2[..., SK.root] = 0.0  # neck missing: each branch anchors at its first visible joint
    new2 = scale_bones_array(kp, sc2, SK, 1.5)
    for anchor in (0, 2, 5, 8, 11):
        np.testing.assert_allclose(new2[..., anchor, :], kp[..., anchor, :])
    np.testing.assert_allclose(new2[..., 3, :], kp[..., 2, :] + 1.5 * (kp[..., 3, :] - kp[..., 2, :]), atol=1e-9)


def test_scaling_needs_a_tree_and_known_groups(make_poses) -> None:
    with pytest.raises(InputError, match="no kinematic tree"):
        scale_bones(make_poses(), 1.2)
    with pytest.raises(InputError, match="unknown groups"):
        scale_bones(convert(make_poses(), "openpose_134"), {"tail": 1.2})


def test_factor_sampling_is_seeded_ranged_and_optionally_symmetric() -> None:
    a, b = random_factors(5), random_factors(5)
    assert a == b and set(a) == set(SK.groups)
    assert all(0.7 <= v <= 1.3 for v in a.values()) and len(set(a.values())) == len(a)
    sym = sample_bone_factors(SK, 0.7, 1.3, torch.Generator().manual_seed(5), symmetric=True)
    assert sym["left_forearm"] == sym["right_forearm"] and sym["left_hand"] == sym["right_hand"]
    with pytest.raises(InputError):
        sample_bone_factors(SK, 1.3, 0.7)


def test_bbox_normalisation_maps_the_clip_box_exactly(body) -> None:
    kp, sc = to_numpy(body)
    sc[0, 0, 3] = 0.1  # an unsure joint does not count
    kp[0, 0, 3] = (-500, -500)
    box = bbox(kp, sc)
    target = (10.0, 20.0, 110.0, 60.0)
    from motionctx.pose.arrays import from_numpy

    out = normalize_bbox(from_numpy(body, kp, sc), target)
    k2, s2 = to_numpy(out)
    x0, y0, x1, y1 = bbox(k2, s2)
    scale = min(100 / (box[2] - box[0]), 40 / (box[3] - box[1]))
    assert (x1 - x0) == pytest.approx((box[2] - box[0]) * scale, abs=1e-3)  # aspect ratio kept
    assert (y1 - y0) == pytest.approx((box[3] - box[1]) * scale, abs=1e-3)
    assert (x0 + x1) / 2 == pytest.approx(60.0, abs=1e-3) and (y0 + y1) / 2 == pytest.approx(40.0, abs=1e-3)
    assert x1 - x0 == pytest.approx(100, abs=1e-3) or y1 - y0 == pytest.approx(40, abs=1e-3)  # fills one side
    assert x0 >= 10 - 1e-3 and y0 >= 20 - 1e-3 and x1 <= 110 + 1e-3 and y1 <= 60 + 1e-3
    # one transform for the whole clip: motion inside it is only scaled
    d_old, d_new = kp[1] - kp[0], k2[1] - k2[0]
    np.testing.assert_allclose(d_new, d_old * scale, atol=1e-3)


def test_fit_to_size_matches_the_frame_geometry(make_poses) -> None:
    poses = make_poses(size=(100, 200))
    kp, _ = to_numpy(poses)
    crop, _ = to_numpy(fit_to_size(poses, (50, 50), "crop"))  # scale 0.5 -> 50x100, cut 25 each side
    np.testing.assert_allclose(crop, kp * 0.5 - (25, 0), atol=1e-4)
    pad, _ = to_numpy(fit_to_size(poses, (50, 50), "pad"))  # scale 0.25 -> 25x50, 12 px bars
    np.testing.assert_allclose(pad, kp * 0.25 + (0, 12), atol=1e-4)
    stretch = fit_to_size(poses, (50, 50), "stretch")
    np.testing.assert_allclose(to_numpy(stretch)[0], kp * (0.25, 0.5), atol=1e-4)
    assert stretch.size == (50, 50)


def test_prepare_poses_augments_only_in_training_and_reproducibly(body) -> None:
    aug = AugmentOptions(bone_scale=(0.8, 1.2), bbox_normalize=True)
    a = prepare_poses(body, (64, 64), augment=aug, train=True, rng=torch.Generator().manual_seed(2))
    b = prepare_poses(body, (64, 64), augment=aug, train=True, rng=torch.Generator().manual_seed(2))
    c = prepare_poses(body, (64, 64), augment=aug, train=True, rng=torch.Generator().manual_seed(3))
    plain = prepare_poses(body, (64, 64), augment=aug, train=False)
    torch.testing.assert_close(a.keypoints, b.keypoints)
    assert not torch.allclose(a.keypoints, c.keypoints)
    torch.testing.assert_close(plain.keypoints, fit_to_size(body, (64, 64)).keypoints)
    x0, y0, x1, y1 = bbox(*to_numpy(a))
    assert x0 >= 6.4 - 1e-3 and x1 <= 57.6 + 1e-3 and y0 >= 6.4 - 1e-3 and y1 <= 57.6 + 1e-3
    never = AugmentOptions(probability=0.0)
    off = prepare_poses(body, (64, 64), augment=never, train=True, rng=torch.Generator().manual_seed(2))
    torch.testing.assert_close(off.keypoints, plain.keypoints)
    with pytest.raises(ValueError):
        AugmentOptions(bone_scale=(1.2, 0.8))
