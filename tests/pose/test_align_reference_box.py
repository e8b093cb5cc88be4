"""align_to_reference: the reference character's box from its pose, or from its foreground when
no estimator can say (a drawn character on a plain background, such as the toy world's)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from motionctx.errors import RecipeError
from motionctx.pose import get_skeleton, save_poses
from motionctx.pose.foreground import foreground_box
from motionctx.types import Image, PoseSequence, Video


def _character(size: tuple[int, int] = (32, 32), box: tuple[int, int, int, int] = (10, 4, 20, 28)) -> Image:
    """A plain background with a two-colour figure filling ``box`` (x0, y0, x1, y1)."""
    px = torch.empty(3, *size)
    px[:] = torch.tensor([0.6, 0.4, 0.5])[:, None, None]
    x0, y0, x1, y1 = box
    px[:, y0:y1, x0:x1] = torch.tensor([0.7, 0.9, 0.1])[:, None, None]
    px[:, y0 : y0 + 5, x0 + 2 : x1 - 2] = torch.tensor([1.0, 0.85, 0.8])[:, None, None]  # a head
    return Image(px)


def _drive(tmp_path: Path, frames: int = 4) -> Path:
    """A tall stick figure walking right across a 64x64 frame (neck, hips, ankles, nose)."""
    kp = torch.zeros(frames, 1, 18, 2)
    sc = torch.zeros(frames, 1, 18)
    for t in range(frames):
        x = 12.0 + 8 * t
        for k, (dx, y) in {0: (0, 8), 1: (0, 14), 8: (-3, 34), 11: (3, 34), 10: (-4, 56), 13: (4, 56)}.items():
            kp[t, 0, k] = torch.tensor([x + dx, y])
            sc[t, 0, k] = 1.0
    return save_poses(tmp_path / "drive.npz", PoseSequence(kp, sc, get_skeleton("openpose_18"), (64, 64), 8.0))


def _source(path: Path, **extra: object):
    from motionctx.plugins import build_part

    params = {
        "estimator": {"use": "keypoints_file", "with": {"path": str(path)}},
        "render": {"line_scale": 0.25, "hands": False, "face": False},
        "align_to_reference": True,
        **extra,
    }
    return build_part("motion_source", "pose", params)


def _drawn(frames: torch.Tensor) -> tuple[int, int, int, int]:
    ys, xs = torch.nonzero(frames.amax(dim=(0, 1)) > 0.2, as_tuple=True)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_foreground_box_of_a_figure_on_a_plain_and_a_two_colour_background() -> None:
    assert foreground_box(_character()) == (10.0, 4.0, 20.0, 28.0)
    horizon = _character().pixels.clone()
    horizon[:, 24:, :] = torch.tensor([0.2, 0.5, 0.2])[:, None, None]  # ground below a horizon
    horizon[:, 4:28, 10:20] = _character().pixels[:, 4:28, 10:20]
    assert foreground_box(Image(horizon)) == (10.0, 4.0, 20.0, 28.0)


def test_foreground_box_gives_up_on_a_photo() -> None:
    skimage_data = pytest.importorskip("skimage.data")
    photo = torch.from_numpy(np.ascontiguousarray(skimage_data.astronaut())).permute(2, 0, 1).float() / 255
    assert foreground_box(Image(photo)) is None
    assert foreground_box(Image(torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0)))) is None


def test_the_driving_clip_is_mapped_into_the_characters_foreground(tmp_path: Path, pose_plugins) -> None:
    source = _source(_drive(tmp_path))
    ref = _character()
    box = source.reference_box(ref)
    inset = 0.07
    assert box == pytest.approx((10 + 10 * inset, 4 + 24 * inset, 20 - 10 * inset, 28 - 24 * inset))
    motion = source.prepare(Video(torch.zeros(4, 3, 64, 64), 8.0), ref)
    x0, y0, x1, y1 = _drawn(motion.frames)
    stroke = 2  # joints are discs and limbs have width: the drawing reaches past the joints' box
    assert box[0] - stroke <= x0 and x1 <= box[2] + stroke and box[1] - stroke <= y0 and y1 <= box[3] + stroke
    first, last = (_drawn(motion.frames[i : i + 1]) for i in (0, 3))
    assert last[0] > first[0]  # still walking right, inside the box
    unaligned = _source(_drive(tmp_path), align_to_reference=False).prepare(Video(torch.zeros(4, 3, 64, 64), 8.0), ref)
    assert _drawn(unaligned.frames) != (x0, y0, x1, y1)


def test_modes_and_their_limits(tmp_path: Path, pose_plugins) -> None:
    drive = _drive(tmp_path)
    ref = _character()
    assert _source(drive, align_box="foreground").reference_box(ref) == _source(drive).reference_box(ref)
    with pytest.raises(RecipeError, match="does not look at images"):  # a pose file knows nothing of the reference
        _source(drive, align_box="pose").reference_box(ref)
    with pytest.warns(UserWarning, match="not aligned"):  # no plain background, no estimator: left as it is
        _source(drive).prepare(Video(torch.zeros(4, 3, 64, 64), 8.0), Image(torch.rand(3, 32, 32)))


def test_a_reference_too_small_for_a_pose_estimator_uses_its_foreground(tmp_path: Path, pose_plugins) -> None:
    """MediaPipe gives a confident, wrong pose for a 32x32 photo: below 64 px it is not asked."""
    pytest.importorskip("mediapipe")
    source = _source(_drive(tmp_path), estimator={"use": "mediapipe", "with": {"progress": False}})
    assert source.reference_box(_character()) == _source(_drive(tmp_path)).reference_box(_character())
