"""The DWPose runner and estimator, offline, with tiny ONNX models that have the real signatures."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("cv2")

from motionctx.errors import WeightsError
from motionctx.types import Video
from motionctx_dwpose import runner
from motionctx_dwpose.estimator import DWPoseEstimator
from motionctx_dwpose.testing import build_detector, build_pose, detector_raw

H, W = 320, 480  # not square: the letterbox ratio is 640 / 480 and the bottom is padding
RATIO = min(640 / H, 640 / W)
DOTS = [(100, 150), (360, 170)]  # (x, y) frame pixels, one per person
BOXES = [(60, 60, 140, 260), (320, 80, 400, 280)]  # frame pixels around each dot


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dwpose_models")
    boxes = [(x0 * RATIO, y0 * RATIO, x1 * RATIO, y1 * RATIO, 0, 0.9) for x0, y0, x1, y1 in BOXES]
    boxes.append((5, 5, 200, 150, 2, 0.99))  # a confident car: not a person
    boxes.append(
        (BOXES[0][0] * RATIO + 2, BOXES[0][1] * RATIO, BOXES[0][2] * RATIO + 2, BOXES[0][3] * RATIO, 0, 0.6)
    )  # duplicate
    return {"det": build_detector(root / "yolox_l.onnx", boxes), "pose": build_pose(root / "dw-ll_ucoco_384.onnx")}


def clip(frames: int = 3, empty: tuple[int, ...] = ()) -> Video:
    arr = np.zeros((frames, H, W, 3), np.uint8)
    for t in range(frames):
        if t in empty:
            continue
        for x, y in DOTS:
            arr[t, y - 1 : y + 2, x - 1 : x + 2] = 255
    return Video.from_uint8(torch.from_numpy(arr), fps=12.0)


def estimator(models, tmp_path: Path, **kw) -> DWPoseEstimator:
    params = {
        "det_model": str(models["det"]),
        "pose_model": str(models["pose"]),
        "cache_dir": str(tmp_path / "cache"),
        "progress": False,
    }
    return DWPoseEstimator(**{**params, **kw})


# ---------------------------------------------------------------- pre/post-processing


def test_letterbox_keeps_aspect_and_pads_bottom_right() -> None:
    img = np.full((H, W, 3), 200, np.uint8)
    x, ratio = runner.letterbox(img)
    assert x.shape == (3, 640, 640) and x.dtype == np.float32 and ratio == pytest.approx(RATIO)
    assert x[0, 0, 0] == 200 and x[0, int(H * ratio) - 1, 639] == 200
    assert x[0, int(H * ratio), 0] == runner.PAD_VALUE and x[0, 639, 639] == runner.PAD_VALUE


def test_detection_decoding_nms_and_person_filter() -> None:
    raw = detector_raw(
        [(10, 20, 110, 220, 0, 0.9), (12, 20, 112, 220, 0, 0.5), (300, 300, 400, 380, 0, 0.2), (0, 0, 50, 50, 3, 0.95)]
    )
    boxes, scores = runner.decode_yolox(raw)
    best = int(scores[:, 0].argmax())
    np.testing.assert_allclose(boxes[best], (10, 20, 110, 220), atol=1e-3)
    people = runner.detect_people(raw, ratio=2.0)
    assert people.shape == (1, 5)  # duplicate suppressed, weak one (0.2 < 0.3) and the other class dropped
    np.testing.assert_allclose(people[0, :4], (5, 10, 55, 110), atol=1e-3)  # back to frame pixels
    assert people[0, 4] == pytest.approx(0.9)
    loose = runner.detect_people(raw, 2.0, runner.DetectionThresholds(person=0.1))
    assert len(loose) == 2


def test_crop_and_decode_invert_each_other() -> None:
    box = np.array([60.0, 60.0, 140.0, 260.0])
    center, scale = runner.box_center_scale(box)
    assert scale[0] / scale[1] == pytest.approx(288 / 384) and scale[1] == pytest.approx(250.0)
    m = runner.crop_matrix(center, scale)
    pt = np.array([100.0, 150.0])
    in_crop = m[:, :2] @ pt + m[:, 2]
    np.testing.assert_allclose(runner.crop_to_frame(in_crop[None], center, scale)[0], pt, atol=1e-9)
    simcc_x = np.zeros((1, 2, 576), np.float32)
    simcc_y = np.zeros((1, 2, 768), np.float32)
    simcc_x[0, 0, 101], simcc_y[0, 0, 300] = 0.8, 0.6
    locs, vals = runner.decode_simcc(simcc_x, simcc_y)
    np.testing.assert_allclose(locs[0, 0], (50.5, 150.0))
    assert vals[0, 0] == pytest.approx(0.6) and (locs[0, 1] == -1).all() and vals[0, 1] == 0


# ---------------------------------------------------------------- the estimator end to end


def test_two_people_come_back_at_their_dots(models, tmp_path: Path) -> None:
    poses = estimator(models, tmp_path).estimate(clip())
    assert poses.skeleton.name == "coco_wholebody_133" and poses.size == (H, W) and poses.fps == 12.0
    assert tuple(poses.keypoints.shape) == (3, 2, 133, 2)
    found = sorted(tuple(poses.keypoints[0, p, 0].tolist()) for p in range(2))
    for (x, y), (fx, fy) in zip(sorted(DOTS), found):
        px_per_bin = 250.0 * 0.75 / 288  # crop scale / model width: one SimCC pixel in the frame
        assert abs(fx - x) <= 2 * px_per_bin + 0.5 and abs(fy - y) <= 2 * px_per_bin + 0.5
    assert float(poses.scores.min()) > 1.0  # every keypoint confidently found
    torch.testing.assert_close(poses.keypoints[0], poses.keypoints[2])  # slots stay with their person


def test_frames_without_people_warn_and_a_clip_without_anyone_is_empty(models, tmp_path: Path) -> None:
    est = estimator(models, tmp_path, cache=False)
    with pytest.warns(UserWarning, match=r"no person detected in 2 of 4 frames \(1-2\)"):
        poses = est.estimate(clip(4, empty=(1, 2)))
    assert poses.num_people == 2 and float(poses.scores[1:3].max()) == 0 and float(poses.scores[3].min()) > 0
    with pytest.warns(UserWarning, match="in 2 of 2 frames"):
        nobody = est.estimate(clip(2, empty=(0, 1)))
    assert tuple(nobody.keypoints.shape) == (2, 0, 133, 2)


def test_missing_or_broken_model_files_are_weights_errors(models, tmp_path: Path) -> None:
    est = estimator(models, tmp_path, pose_model=str(tmp_path / "nowhere" / "dw.onnx"))
    with pytest.raises(WeightsError) as exc:
        est.estimate(clip(1))
    msg = str(exc.value)
    assert (
        "nowhere/dw.onnx" in msg
        and "dw-ll_ucoco_384.onnx" in msg
        and "yolox_l.onnx" in msg
        and "never downloads" in msg
    )
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(WeightsError, match="cannot load"):
        estimator(models, tmp_path, det_model=str(broken), cache=False).load()


def test_results_are_cached_by_content_and_parameters(models, tmp_path: Path) -> None:
    from motionctx.pose import load_poses, save_poses

    est = estimator(models, tmp_path, progress=True, batch_size=1)
    video = clip(2)
    first = est.estimate(video)
    path = est.cache_path(video.to_uint8().numpy())
    assert path.is_file() and sorted(p.name for p in path.parent.iterdir()) == [path.name]
    marked = load_poses(path)
    save_poses(path, type(marked)(marked.keypoints + 1000, marked.scores, marked.skeleton, marked.size, marked.fps))
    again = est.estimate(video)  # read from the cache, not recomputed
    torch.testing.assert_close(again.keypoints, first.keypoints + 1000)
    other = estimator(models, tmp_path, det_person=0.5)
    assert other.cache_path(video.to_uint8().numpy()) != path
    assert est.cache_path(clip(2, empty=(1,)).to_uint8().numpy()) != path
    path.write_bytes(b"broken")  # a corrupt entry is recomputed, not an error
    torch.testing.assert_close(est.estimate(video).keypoints, first.keypoints)


def test_pose_motion_source_with_dwpose(models, tmp_path: Path) -> None:
    from motionctx.testing import isolated_plugins, random_image

    with isolated_plugins() as plugins:
        assert "dwpose" in plugins.registry.names("pose_estimator")
        from motionctx.plugins import build_part

        source = build_part(
            "motion_source",
            "pose",
            {
                "estimator": {
                    "use": "dwpose",
                    "with": {
                        "det_model": str(models["det"]),
                        "pose_model": str(models["pose"]),
                        "cache": False,
                        "progress": False,
                    },
                }
            },
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = source.prepare(clip(2), random_image(160, 240))
    assert out.num_frames == 2 and out.size == (160, 240) and float(out.frames.max()) > 0


def test_plugin_discovery_stays_light() -> None:
    code = (
        "import sys; from motionctx.plugins import load_plugins; p = load_plugins();"
        "assert 'dwpose' in p.registry.names('pose_estimator');"
        "print(sorted(m for m in ('onnxruntime', 'cv2', 'torch', 'onnx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
