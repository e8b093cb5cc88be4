"""The Holistic -> openpose_134 index tables (pure data: no mediapipe needed)."""

from __future__ import annotations

import numpy as np

from motionctx.pose.mapping import apply_mapping
from motionctx.pose.mediapipe_map import (
    BODY_FROM_POSE,
    FACE_68_FROM_MESH,
    HOLISTIC_PARTS,
    HOLISTIC_SIZE,
    HOLISTIC_TO_OPENPOSE_134,
    POSE_LANDMARKS,
)
from motionctx.pose.skeletons import OPENPOSE_134, OPENPOSE_134_PARTS


def test_tables_cover_the_layouts() -> None:
    assert len(POSE_LANDMARKS) == 33 and HOLISTIC_SIZE == 33 + 2 * 21 + 468
    assert [HOLISTIC_PARTS[p] for p in ("pose", "left_hand", "right_hand", "face")] == [
        (0, 33), (33, 54), (54, 75), (75, 543),
    ]  # fmt: skip
    m = HOLISTIC_TO_OPENPOSE_134
    assert (m.source, m.target) == ("mediapipe_holistic_543", "openpose_134")
    assert len(m.sources) == OPENPOSE_134.num_keypoints == 134
    assert all(0 <= i < HOLISTIC_SIZE for s in m.sources for i in s)
    assert len(FACE_68_FROM_MESH) == len(set(FACE_68_FROM_MESH)) == 68
    assert all(0 <= v < 468 for v in FACE_68_FROM_MESH)


def test_body_points_match_by_name() -> None:
    names = OPENPOSE_134.keypoints
    for k, src in enumerate(BODY_FROM_POSE[:18]):
        if names[k] == "neck":
            assert sorted(POSE_LANDMARKS[i] for i in src) == ["left_shoulder", "right_shoulder"]
        else:
            assert [POSE_LANDMARKS[i] for i in src] == [names[k]]
    feet = dict(zip(names[18:24], BODY_FROM_POSE[18:]))
    assert feet["left_small_toe"] == feet["right_small_toe"] == ()
    assert [POSE_LANDMARKS[i] for i in feet["left_big_toe"] + feet["left_heel"]] == ["left_foot_index", "left_heel"]
    assert [POSE_LANDMARKS[i] for i in feet["right_big_toe"] + feet["right_heel"]] == [
        "right_foot_index", "right_heel",
    ]  # fmt: skip


def test_hands_and_face_are_copied_in_order() -> None:
    m = HOLISTIC_TO_OPENPOSE_134
    for side in ("left_hand", "right_hand"):
        start, stop = OPENPOSE_134_PARTS[side]
        assert m.sources[start:stop] == tuple((HOLISTIC_PARTS[side][0] + i,) for i in range(21))
    start, _ = OPENPOSE_134_PARTS["face"]
    assert [s[0] - 75 for s in m.sources[start : start + 68]] == list(FACE_68_FROM_MESH)


def test_mapping_derives_the_neck_and_leaves_small_toes_missing() -> None:
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 500, (2, 1, HOLISTIC_SIZE, 2))
    sc = rng.uniform(0.2, 1.0, (2, 1, HOLISTIC_SIZE))
    out_kp, out_sc = apply_mapping(kp, sc, HOLISTIC_TO_OPENPOSE_134)
    assert out_kp.shape == (2, 1, 134, 2) and out_sc.shape == (2, 1, 134)
    np.testing.assert_allclose(out_kp[:, :, 1], (kp[:, :, 11] + kp[:, :, 12]) / 2)
    np.testing.assert_allclose(out_sc[:, :, 1], np.minimum(sc[:, :, 11], sc[:, :, 12]))
    np.testing.assert_array_equal(out_kp[:, :, 4], kp[:, :, 16])  # right wrist
    np.testing.assert_array_equal(out_kp[:, :, 24 + 8], kp[:, :, 75 + 152])  # chin
    np.testing.assert_array_equal(out_kp[:, :, 92], kp[:, :, 33])  # left hand wrist
    assert (out_sc[:, :, [19, 22]] == 0).all()  # small toes
