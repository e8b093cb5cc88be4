"""Keypoint formats and the mappings between them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionctx.errors import InputError
from motionctx.pose import COCO_WHOLEBODY_133, OPENPOSE_18, OPENPOSE_134, convert, get_skeleton, tree_order
from motionctx.types import PoseSequence


def test_formats_have_the_documented_layout() -> None:
    assert COCO_WHOLEBODY_133.num_keypoints == 133
    assert OPENPOSE_18.num_keypoints == 18
    assert OPENPOSE_134.num_keypoints == 134
    names = OPENPOSE_134.keypoints
    assert names[:2] == ("nose", "neck") and names[18] == "left_big_toe" and names[24] == "face_0"
    assert names[92] == "left_hand_wrist" and names[113] == "right_hand_wrist"
    assert COCO_WHOLEBODY_133.keypoints[5] == "left_shoulder" and COCO_WHOLEBODY_133.keypoints[91] == "left_hand_wrist"


@pytest.mark.parametrize("sk", [OPENPOSE_18, OPENPOSE_134], ids=lambda s: s.name)
def test_kinematic_tree_is_rooted_at_the_neck_and_made_of_edges(sk) -> None:
    assert sk.root == sk.index("neck") and sk.parents[sk.root] == -1
    edges = {frozenset(e) for e in sk.edges}
    for k, p in enumerate(sk.parents):
        if k != sk.root:
            assert p >= 0 and frozenset((p, k)) in edges, sk.keypoints[k]
    order = tree_order(sk)
    assert sorted(order) == list(range(sk.num_keypoints)) and order[0] == sk.root
    seen = set()
    for k in order:
        assert sk.parents[k] in seen or k == sk.root
        seen.add(k)


def test_groups_cover_every_tree_bone_once() -> None:
    sk = OPENPOSE_134
    expected = {
        "torso", "head", "left_upper_arm", "right_upper_arm", "left_forearm", "right_forearm", "left_thigh",
        "right_thigh", "left_shin", "right_shin", "left_hand", "right_hand", "left_foot", "right_foot",
    }  # fmt: skip
    assert set(sk.groups) == expected
    grouped = [e for es in sk.groups.values() for e in es]
    assert len(grouped) == len(set(grouped))
    bones = {frozenset((p, k)) for k, p in enumerate(sk.parents) if p >= 0}
    assert bones <= {frozenset(sk.edges[e]) for e in grouped}
    assert [sk.edges[e] for e in sk.groups["left_forearm"]] == [(6, 7)]


def test_get_skeleton_unknown_name_suggests() -> None:
    with pytest.raises(InputError, match="unknown keypoint format") as exc:
        get_skeleton("openpose_13")
    assert "openpose_134" in (exc.value.hint or "")


def _coco(kp: np.ndarray, sc: np.ndarray) -> PoseSequence:
    return PoseSequence(
        torch.tensor(kp[None, None]).float(), torch.tensor(sc[None, None]).float(), COCO_WHOLEBODY_133, (100, 100)
    )


def test_coco_to_openpose_neck_and_order() -> None:
    kp = np.arange(266, dtype=np.float64).reshape(133, 2)
    sc = np.full(133, 0.9)
    sc[6] = 0.5
    op = convert(_coco(kp, sc), "openpose_134")
    assert op.skeleton.name == "openpose_134"
    k, s = op.keypoints[0, 0].numpy(), op.scores[0, 0].numpy()
    np.testing.assert_allclose(k[1], (kp[5] + kp[6]) / 2)  # neck = mean of the shoulders
    assert s[1] == pytest.approx(0.5)  # as visible as the less visible shoulder
    np.testing.assert_allclose(k[2], kp[6])  # right shoulder
    np.testing.assert_allclose(k[14], kp[2])  # right eye
    np.testing.assert_allclose(k[18:], kp[17:])  # feet, face, hands keep their order
    sc[5] = 0.0
    assert float(convert(_coco(kp, sc), "openpose_134").scores[0, 0, 1]) == 0.0


def test_conversions_chain_and_round_trip() -> None:
    rng = np.random.default_rng(0)
    kp, sc = rng.uniform(0, 100, (133, 2)), rng.uniform(0.1, 1, 133)
    poses = _coco(kp, sc)
    back = convert(convert(poses, "openpose_134"), "coco_wholebody_133")
    torch.testing.assert_close(back.keypoints, poses.keypoints)
    body = convert(poses, "openpose_18")  # two hops: 133 -> 134 -> 18
    assert body.skeleton.name == "openpose_18" and body.keypoints.shape == (1, 1, 18, 2)
    wide = convert(body, "openpose_134")
    assert float(wide.scores[0, 0, 18:].abs().max()) == 0.0  # parts OpenPose 18 lacks are missing
    with pytest.raises(InputError, match="no mapping"):
        from motionctx.pose.mapping import find_mappings

        find_mappings("openpose_134", "toy_nothing")
