"""Data types validate what they are given."""

from __future__ import annotations

import pytest
import torch

from motionctx.errors import InputError
from motionctx.types import Composite, Geometry, Image, PoseSequence, Region, Skeleton, Video


def test_video_rejects_wrong_layout_dtype_and_range() -> None:
    with pytest.raises(InputError, match=r"\[T, 3, H, W\]"):
        Video(torch.rand(4, 16, 16, 3))
    with pytest.raises(InputError, match="float32"):
        Video(torch.rand(4, 3, 8, 8).double())
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        Video(torch.rand(4, 3, 8, 8) * 2)
    with pytest.raises(InputError, match="no frames"):
        Video(torch.rand(0, 3, 8, 8))


def test_video_uint8_round_trip() -> None:
    raw = torch.randint(0, 256, (3, 5, 7, 3), dtype=torch.uint8)
    v = Video.from_uint8(raw, fps=12)
    assert v.frames.shape == (3, 3, 5, 7) and v.fps == 12
    assert torch.equal(v.to_uint8(), raw)


def test_image_checks_channels() -> None:
    with pytest.raises(InputError, match="3 colour channels"):
        Image(torch.rand(4, 8, 8))
    assert Image(torch.rand(3, 8, 6)).size == (8, 6)


def test_pose_sequence_shapes() -> None:
    sk = Skeleton("two", ("a", "b"), ((0, 1),))
    PoseSequence(torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2), sk, (8, 8))
    PoseSequence(torch.zeros(2, 0, 2, 2), torch.ones(2, 0, 2), sk, (8, 8))  # nobody detected is fine
    with pytest.raises(InputError, match="scores"):
        PoseSequence(torch.zeros(2, 1, 2, 2), torch.ones(2, 2), sk, (8, 8))
    with pytest.raises(InputError, match="skeleton two has 2"):
        PoseSequence(torch.zeros(2, 1, 3, 2), torch.ones(2, 1, 3), sk, (8, 8))
    with pytest.raises(InputError, match="edge"):
        Skeleton("bad", ("a",), ((0, 1),))


def test_composite_mask_shapes_checked() -> None:
    v = Video(torch.rand(2, 3, 4, 8))
    with pytest.raises(InputError, match="mask 'reference'"):
        Composite(v, {"reference": torch.ones(2, 1, 4, 4)}, Region((0, 2), 0, 0, 4, 4))


def test_geometry_snapping() -> None:
    g = Geometry(temporal_factor=4, size_multiple=16)
    assert [g.snap_frames(n) for n in (1, 4, 5, 8, 9, 121, 124)] == [1, 1, 5, 5, 9, 121, 121]
    assert g.snap_size(480, 833) == (480, 832)
    assert g.snap_size(5, 5) == (16, 16)
