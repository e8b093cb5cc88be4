"""The OpenPose renderer: the convention's colours and rules, and pixel parity with controlnet_aux."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from motionctx.pose import OPENPOSE_134, draw_openpose, render_poses, render_video
from motionctx.pose.mapping import apply_mapping, find_mappings
from motionctx.types import PoseSequence, Skeleton

DARK_RED = (153, 0, 0)  # limb 0 (neck -> right shoulder) is (255, 0, 0), darkened to 0.6


def one_person(points: dict[int, tuple[float, float]], score: float = 0.9, size=(100, 120)) -> PoseSequence:
    kp = np.zeros((1, 1, 134, 2))
    sc = np.zeros((1, 1, 134))
    for k, (x, y) in points.items():
        kp[0, 0, k], sc[0, 0, k] = (x, y), score
    return PoseSequence(torch.tensor(kp).float(), torch.tensor(sc).float(), OPENPOSE_134, size)


def test_limb_midpoint_and_joint_colours() -> None:
    img = render_poses(one_person({1: (40, 50), 2: (80, 50)}))[0]
    assert tuple(img[50, 60]) == DARK_RED  # the limb's middle, darkened
    assert tuple(img[50, 40]) == (255, 85, 0)  # joint 1 (neck) in colour 1, drawn after darkening
    assert tuple(img[50, 80]) == (255, 170, 0)  # joint 2
    assert tuple(img[50 + 6, 60]) == (0, 0, 0)  # the ellipse is 4 px half-wide
    assert tuple(img[50 + 4, 60]) == DARK_RED


def test_score_threshold_is_respected() -> None:
    hidden = render_poses(one_person({1: (40, 50), 2: (80, 50)}, score=0.29))[0]
    assert hidden.max() == 0
    shown = render_poses(one_person({1: (40, 50), 2: (80, 50)}, score=0.29), threshold=0.2)[0]
    assert tuple(shown[50, 60]) == DARK_RED
    kp, sc = np.zeros((1, 134, 2)), np.zeros((1, 134))
    kp[0, [1, 2]], sc[0, [1, 2]] = ((40, 50), (80, 50)), 0.3  # body joints need score > threshold
    assert draw_openpose(np.zeros((100, 120, 3), np.uint8), kp, sc).max() == 0


def test_hand_face_rules_and_switches() -> None:
    kp = np.zeros((1, 134, 2))
    sc = np.zeros((1, 134))
    kp[0, 92], kp[0, 93] = (30, 30), (60, 30)  # left wrist -> thumb 1: hand edge 0 (red)
    kp[0, 24] = (90, 70)  # a face point
    kp[0, 25] = (0.5, 70)  # x truncates to 0: not drawn (ControlNet's rule)
    sc[0, [92, 93, 24, 25]] = 0.3  # hands and face need score >= threshold (body needs >)
    img = draw_openpose(np.zeros((100, 120, 3), np.uint8), kp, sc)
    assert tuple(img[30, 45]) == (255, 0, 0)  # hand edge colour, hue 0
    assert tuple(img[30, 30]) == (0, 0, 255)  # hand keypoint dot
    assert tuple(img[70, 90]) == (255, 255, 255)  # face dot
    assert img[70, :3].max() == 0
    no_hands = draw_openpose(np.zeros((100, 120, 3), np.uint8), kp, sc, hands=False, face=False)
    assert no_hands.max() == 0


def test_multi_person_and_any_size() -> None:
    kp = np.zeros((1, 2, 134, 2))
    sc = np.zeros((1, 2, 134))
    kp[0, 0, [1, 2]] = (10, 20), (50, 20)
    kp[0, 1, [1, 2]] = (10, 150), (50, 150)
    sc[0, :, [1, 2]] = 0.9
    poses = PoseSequence(torch.tensor(kp).float(), torch.tensor(sc).float(), OPENPOSE_134, (200, 64), 12.0)
    video = render_video(poses)
    assert video.size == (200, 64) and video.fps == 12.0
    img = render_poses(poses)[0]
    assert tuple(img[20, 30]) == DARK_RED and tuple(img[150, 30]) == DARK_RED
    assert render_poses(poses, size=(30, 40)).shape == (1, 30, 40, 3)


def test_confidence_colours_scale_with_score() -> None:
    img = render_poses(one_person({1: (40, 50), 2: (80, 50)}, score=0.5), confidence_colors=True)[0]
    assert tuple(img[50, 40]) == (128, 42, 0)  # (255, 85, 0) * 0.5, rounded by OpenCV
    assert tuple(img[50, 60]) == (76, 0, 0)  # int(128 * 0.6)


def test_coco_wholebody_input_and_missing_people() -> None:
    empty = PoseSequence(torch.zeros(3, 0, 133, 2), torch.zeros(3, 0, 133), get_coco(), (20, 30))
    assert render_poses(empty).shape == (3, 20, 30, 3) and render_poses(empty).max() == 0


def get_coco() -> Skeleton:
    from motionctx.pose import COCO_WHOLEBODY_133

    return COCO_WHOLEBODY_133


def test_other_skeletons_draw_their_own_edges() -> None:
    sk = Skeleton("toy_stick", ("a", "b"), ((0, 1),), colors=((0, 255, 0),))
    poses = PoseSequence(torch.tensor([[[[5.0, 10.0], [35.0, 10.0]]]]), torch.ones(1, 1, 2), sk, (20, 40))
    img = render_poses(poses)[0]
    assert tuple(img[10, 20]) == (0, 255, 0) and tuple(img[10, 5]) == (255, 255, 255)


# ---------------------------------------------------------------- parity with controlnet_aux


def _controlnet_draw_pose():
    pytest.importorskip("matplotlib")  # controlnet_aux draws hand colours with it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = pytest.importorskip("controlnet_aux.dwpose")
    return module.draw_pose


def reference_pose(kp: np.ndarray, sc: np.ndarray, h: int, w: int) -> dict:
    """COCO-WholeBody [P, 133] keypoints through DWPose's own steps (neck, OpenPose order,
    normalisation, thresholds) into the dict controlnet_aux's ``draw_pose`` takes."""
    kp, sc = kp.astype(np.float64).copy(), sc.astype(np.float64).copy()
    neck = kp[:, [5, 6]].mean(axis=1)
    neck_score = np.logical_and(sc[:, 5] > 0.3, sc[:, 6] > 0.3).astype(float)
    kp, sc = np.insert(kp, 17, neck, axis=1), np.insert(sc, 17, neck_score, axis=1)
    src = [17, 6, 8, 10, 7, 9, 12, 14, 16, 13, 15, 2, 1, 4, 3]
    dst = [1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17]
    kp[:, dst], sc[:, dst] = kp[:, src], sc[:, src]
    cand = kp / (float(w), float(h))
    n = len(cand)
    subset = np.where(sc[:, :18] > 0.3, np.arange(n * 18).reshape(n, 18), -1).astype(float)
    body = cand[:, :18].reshape(n * 18, 2).copy()
    cand[sc < 0.3] = -1
    hands = np.vstack([cand[:, 92:113], cand[:, 113:]])
    return {"bodies": {"candidate": body, "subset": subset}, "hands": hands, "faces": cand[:, 24:92]}


def random_people(rng: np.random.Generator, people: int, h: int, w: int, integer: bool = False):
    centre = rng.uniform([0, 0], [w, h], (people, 1, 2))
    kp = centre + rng.normal(0, 0.15 * min(h, w), (people, 133, 2))
    if integer:
        kp = np.round(kp)
    sc = rng.uniform(0, 1, (people, 133))
    sc[rng.uniform(size=sc.shape) < 0.15] = 0.3  # exactly at the threshold
    return kp, sc


@pytest.mark.parametrize("people", [1, 3])
def test_pixel_parity_with_controlnet_aux(people: int) -> None:
    draw_pose = _controlnet_draw_pose()
    rng = np.random.default_rng(people)
    mapping = find_mappings("coco_wholebody_133", "openpose_134")[0]
    for h, w in ((480, 832), (257, 199)):
        for _ in range(4):
            kp, sc = random_people(rng, people, h, w)
            ref = draw_pose(reference_pose(kp, sc, h, w), h, w)
            ours = draw_openpose(np.zeros((h, w, 3), np.uint8), *apply_mapping(kp, sc, mapping))
            assert int((ours != ref).any(-1).sum()) == 0
            # through the public PoseSequence path (float32 storage) too
            poses = PoseSequence(torch.tensor(kp[None]).float(), torch.tensor(sc[None]).float(), get_coco(), (h, w))
            ref32 = draw_pose(
                reference_pose(poses.keypoints[0].double().numpy(), poses.scores[0].double().numpy(), h, w), h, w
            )
            assert int((render_poses(poses)[0] != ref32).any(-1).sum()) == 0


def test_integer_coordinates_differ_only_by_controlnets_normalisation_round_trip() -> None:
    """controlnet_aux divides by the size and multiplies back; for some integer coordinates that
    lands one ulp below the integer and truncates a pixel lower. We draw integers where they are:
    fed the round-tripped coordinates, the outputs match exactly."""
    draw_pose = _controlnet_draw_pose()
    rng = np.random.default_rng(7)
    mapping = find_mappings("coco_wholebody_133", "openpose_134")[0]
    h, w = 480, 832
    moved = 0
    for _ in range(6):
        kp, sc = random_people(rng, 2, h, w, integer=True)
        ref = draw_pose(reference_pose(kp, sc, h, w), h, w)
        round_trip = kp / (float(w), float(h)) * (float(w), float(h))
        moved += int((round_trip != kp).sum())
        ours = draw_openpose(np.zeros((h, w, 3), np.uint8), *apply_mapping(round_trip, sc, mapping))
        assert int((ours != ref).any(-1).sum()) == 0
    assert moved > 0  # the round trip really does move some integers


def test_hand_colours_match_matplotlib() -> None:
    colors = pytest.importorskip("matplotlib.colors")
    from motionctx.pose.render import hand_edge_colors

    for i, c in enumerate(hand_edge_colors()):
        assert tuple(colors.hsv_to_rgb([i / 20.0, 1.0, 1.0]) * 255) == c


def test_line_scale_thins_strokes_for_small_frames(make_poses) -> None:
    from motionctx.pose.render import render_poses

    poses = make_poses(frames=1, people=1, fmt="coco_wholebody_133", size=(64, 64), spread=10.0)
    full = (render_poses(poses, hands=False, face=False) > 0).any(-1).sum()
    thin = (render_poses(poses, hands=False, face=False, scale=0.25) > 0).any(-1).sum()
    assert 0 < thin < 0.75 * full
