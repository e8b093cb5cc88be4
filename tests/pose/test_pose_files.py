"""Pose files (NPZ and OpenPose JSON) and the ``keypoints_file`` estimator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from motionctx.errors import InputError, RecipeError
from motionctx.pose import load_poses, read_openpose_json, save_poses
from motionctx.testing import random_video
from motionctx.types import Video


def build(path: str | Path, **extra):
    from motionctx.plugins import build_part

    return build_part("pose_estimator", "keypoints_file", {"path": str(path), **extra})


def test_npz_round_trip_is_exact_and_atomic(tmp_path: Path, make_poses) -> None:
    poses = make_poses(frames=3, people=2)
    path = save_poses(tmp_path / "deep" / "p.npz", poses)
    back = load_poses(path)
    assert torch.equal(back.keypoints, poses.keypoints) and torch.equal(back.scores, poses.scores)
    assert (back.skeleton, back.size, back.fps) == (poses.skeleton, poses.size, poses.fps)
    assert sorted(p.name for p in path.parent.iterdir()) == ["p.npz"]  # no temporary left behind


def test_estimator_reads_npz_and_checks_the_video(tmp_path: Path, make_poses, pose_plugins) -> None:
    poses = make_poses(frames=5, size=(48, 64))
    path = save_poses(tmp_path / "p.npz", poses)
    est = build(path)
    out = est.estimate(random_video(5, 48, 64, fps=25.0))
    assert torch.equal(out.keypoints, poses.keypoints) and out.fps == 25.0
    doubled = est.estimate(random_video(5, 96, 128))  # same aspect: coordinates follow the video
    torch.testing.assert_close(doubled.keypoints, poses.keypoints * 2)
    assert doubled.size == (96, 128)
    cut = est.estimate(random_video(4, 48, 64))  # a cut of the video: the file's first 4 frames
    assert torch.equal(cut.keypoints, poses.keypoints[:4])
    later = est.estimate(Video(random_video(2, 48, 64).frames, 25.0, start=3))  # frames 3 and 4
    assert torch.equal(later.keypoints, poses.keypoints[3:5]) and torch.equal(later.scores, poses.scores[3:5])
    with pytest.raises(InputError, match=r"p\.npz.* 5 frames but the video uses its first 6 frames"):
        est.estimate(random_video(6, 48, 64))
    with pytest.raises(InputError, match=r"p\.npz.* 5 frames but the video uses frames 3\.\.5"):
        est.estimate(Video(random_video(3, 48, 64).frames, 25.0, start=3))
    with pytest.raises(InputError, match="another aspect ratio"):
        est.estimate(random_video(5, 48, 48))
    with pytest.raises(RecipeError, match="path"):
        from motionctx.plugins import build_part

        build_part("pose_estimator", "keypoints_file", {})


def person(body: int = 18, face: int = 70, scale: float = 1.0) -> dict:
    rng = np.random.default_rng(body + face)

    def pts(n: int) -> list[float]:
        xy = rng.uniform(5, 40, (n, 2)) * scale
        return np.concatenate([xy, np.full((n, 1), 0.8)], axis=1).ravel().round(4).tolist()

    return {
        "pose_keypoints_2d": pts(body),
        "face_keypoints_2d": pts(face),
        "hand_left_keypoints_2d": pts(21),
        "hand_right_keypoints_2d": pts(21),
    }


def test_openpose_json_layouts(tmp_path: Path, pose_plugins) -> None:
    frames = [{"people": [person()]}, {"people": [person(), person(body=25)]}, {"people": []}]
    doc = tmp_path / "clip.json"
    doc.write_text(json.dumps({"canvas_height": 48, "canvas_width": 64, "frames": frames}))
    poses = read_openpose_json(doc)
    assert poses.skeleton.name == "openpose_134" and poses.size == (48, 64)
    assert tuple(poses.keypoints.shape) == (3, 2, 134, 2)
    p0 = frames[0]["people"][0]
    np.testing.assert_allclose(poses.keypoints[0, 0, 3].numpy(), p0["pose_keypoints_2d"][9:11], atol=1e-4)
    np.testing.assert_allclose(poses.keypoints[0, 0, 24].numpy(), p0["face_keypoints_2d"][0:2], atol=1e-4)
    np.testing.assert_allclose(poses.keypoints[0, 0, 113].numpy(), p0["hand_right_keypoints_2d"][0:2], atol=1e-4)
    b25 = frames[1]["people"][1]["pose_keypoints_2d"]
    np.testing.assert_allclose(poses.keypoints[1, 1, 8].numpy(), b25[27:29], atol=1e-4)  # BODY_25 RHip (9)
    np.testing.assert_allclose(poses.keypoints[1, 1, 18].numpy(), b25[57:59], atol=1e-4)  # LBigToe (19)
    assert float(poses.scores[2].max()) == 0 and float(poses.scores[0, 1].max()) == 0  # nobody there

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in (2, 10, 1):  # natural order: 1, 2, 10
        (folder / f"clip_{i}_keypoints.json").write_text(json.dumps({"people": [person(scale=i / 10)]}))
    seq = build(folder).estimate(random_video(3, 48, 64))
    xs = seq.keypoints[:, 0, 0, 0]
    assert xs[0] < xs[1] < xs[2] and seq.size == (48, 64)

    single = tmp_path / "ref.json"
    single.write_text(json.dumps({"people": [person(scale=1 / 50)], "canvas_height": 100, "canvas_width": 200}))
    ref = read_openpose_json(single)  # every coordinate in [0, 1]: read as fractions of the canvas
    assert ref.num_frames == 1 and 5 * 200 / 50 - 1e-3 <= float(ref.keypoints[0, 0, 0, 0]) <= 40 * 200 / 50 + 1e-3


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a zip at all", "not a readable NPZ"),
        (None, "lacks scores"),
        (b"", "not a readable NPZ"),
    ],
)
def test_corrupt_npz_names_the_file(tmp_path: Path, content, match: str) -> None:
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, keypoints=np.zeros((1, 1, 18, 2)), format=np.array("openpose_18"), size=np.array([4, 4]))
    else:
        path.write_bytes(content)
    with pytest.raises(InputError, match=match) as exc:
        load_poses(path)
    assert "bad.npz" in exc.value.message


def test_npz_with_unknown_format_or_bad_shapes(tmp_path: Path) -> None:
    path = tmp_path / "odd.npz"
    np.savez(
        path,
        keypoints=np.zeros((1, 1, 5, 2)),
        scores=np.zeros((1, 1, 5)),
        format=np.array("toy_unknown"),
        size=np.array([4, 4]),
    )
    with pytest.raises(InputError, match="odd.npz.*unknown keypoint format"):
        load_poses(path)
    np.savez(
        path,
        keypoints=np.zeros((1, 18, 2)),
        scores=np.zeros((1, 18)),
        format=np.array("openpose_18"),
        size=np.array([4, 4]),
    )
    with pytest.raises(InputError, match=r"odd.npz.*\[T, P, K, 2\]"):
        load_poses(path)
    with pytest.raises(InputError, match="does not exist"):
        load_poses(tmp_path / "missing.npz")


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ("{not json", "not readable JSON"),
        (
            json.dumps({"people": [{"pose_keypoints_2d": [1, 2, 0.5] * 17}]}),
            r"people\[0\]\.pose_keypoints_2d: 17 points",
        ),
        (json.dumps({"people": [{"hand_left_keypoints_2d": [1, 2]}]}), "x, y, score triples"),
        (json.dumps({"frames": "nope"}), "expected frames"),
        (json.dumps([{"people": "nobody"}]), 'must be an object with a "people" list'),
    ],
)
def test_corrupt_json_names_the_file_and_the_problem(tmp_path: Path, doc: str, match: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(doc)
    with pytest.raises(InputError, match=match) as exc:
        read_openpose_json(path, (10, 10))
    assert "broken.json" in exc.value.message


def test_json_without_canvas_needs_a_size(tmp_path: Path) -> None:
    path = tmp_path / "nosize.json"
    path.write_text(json.dumps({"people": [person()]}))
    with pytest.raises(InputError, match="canvas_height"):
        read_openpose_json(path)
    assert read_openpose_json(path, (48, 64)).size == (48, 64)
