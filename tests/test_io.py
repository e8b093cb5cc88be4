"""Video/image IO over real files, atomic writes and JSONL manifests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from motionctx.errors import InputError
from motionctx.io import (
    append_jsonl,
    atomic_path,
    atomic_write_json,
    read_image,
    read_jsonl,
    read_video,
    write_image,
    write_video,
)
from motionctx.testing import random_image
from motionctx.types import Video


def _smooth_video(t: int = 9, h: int = 32, w: int = 48) -> Video:
    y = torch.linspace(0, 1, h)[None, None, :, None]
    x = torch.linspace(0, 1, w)[None, None, None, :]
    k = torch.arange(t).float()[:, None, None, None] / t
    frames = torch.cat([((x + k) % 1).expand(t, 1, h, w), y.expand(t, 1, h, w), ((x + y) / 2).expand(t, 1, h, w)], dim=1)
    return Video(frames.expand(t, 3, h, w).contiguous(), fps=12.0)


def test_video_round_trip_keeps_frames_size_fps(tmp_path: Path) -> None:
    v = _smooth_video()
    path = write_video(tmp_path / "v.mp4", v)
    back = read_video(path)
    assert back.frames.shape == v.frames.shape
    assert back.fps == pytest.approx(12.0)
    assert (back.frames - v.frames).abs().mean() < 0.03  # lossy codec, close values
    assert read_video(path, max_frames=4).num_frames == 4


def test_lossless_video_decodes_to_the_same_pixels(tmp_path: Path) -> None:
    """Small frames with sharp colour edges: 4:2:0 coding moves colours, lossless keeps every pixel."""
    frames = torch.zeros(3, 3, 16, 16)
    frames[:, 0, 4:12, 5:9] = 1.0  # a red bar on black, one pixel wide edges
    frames[:, 2, 2:4, :] = 0.5
    v = Video(frames, fps=8.0)
    exact = read_video(write_video(tmp_path / "exact.mp4", v, lossless=True))
    torch.testing.assert_close(exact.frames, v.frames, atol=1 / 255, rtol=0)  # 8-bit rounding only
    lossy = read_video(write_video(tmp_path / "lossy.mp4", v))
    assert (lossy.frames - v.frames).abs().max() > 0.1


def test_odd_sizes_are_padded_to_even(tmp_path: Path) -> None:
    back = read_video(write_video(tmp_path / "odd.mp4", _smooth_video(3, 31, 45)))
    assert back.size == (32, 46)


def test_a_video_too_large_to_decode_whole_is_refused_while_decoding(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", _smooth_video(9, 32, 48))
    five_frames = 5 * 32 * 48 * 3
    with pytest.raises(InputError, match=r"too large to decode whole: more than 5 frames of 32x48") as err:
        read_video(path, max_values=five_frames)
    assert "shorter clip" in err.value.hint
    assert read_video(path, max_values=five_frames, max_frames=5).num_frames == 5  # a cut that fits
    assert read_video(path, max_values=five_frames, max_area=16 * 24).num_frames == 9  # or a smaller size


def test_unreadable_video_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x01 not a video at all" * 50)
    with pytest.raises(InputError, match="cannot read video .*broken.mp4"):
        read_video(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_video(tmp_path / "missing.mp4")


def test_image_round_trip_is_lossless_png(tmp_path: Path) -> None:
    img = random_image(10, 14)
    back = read_image(write_image(tmp_path / "i.png", img))
    assert (back.pixels - img.pixels).abs().max() <= 0.5 / 255 + 1e-6


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    atomic_write_json(target, {"ok": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text().strip().startswith("{") and '"ok": 1' in target.read_text()
    assert sorted(os.listdir(tmp_path)) == ["out.json"]


def test_write_video_failure_leaves_no_file(tmp_path: Path) -> None:
    class Boom(Video):
        def to_uint8(self):  # type: ignore[override]
            raise RuntimeError("encoder crashed")

    with pytest.raises(RuntimeError):
        write_video(tmp_path / "x.mp4", Boom(torch.rand(2, 3, 8, 8)))
    assert list(tmp_path.iterdir()) == []


def test_jsonl_append_and_partial_last_line(tmp_path: Path) -> None:
    m = tmp_path / "m.jsonl"
    append_jsonl(m, {"a": 1})
    append_jsonl(m, {"a": 2})
    with open(m, "a") as fh:
        fh.write('{"a": 3')  # an append interrupted mid-line
    assert read_jsonl(m) == [{"a": 1}, {"a": 2}]
    m.write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    with pytest.raises(InputError, match="line 2"):
        read_jsonl(m)


def test_atomic_dir_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    from motionctx.io import atomic_dir

    target = tmp_path / "model"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "b.txt").write_text("half")
            raise RuntimeError("interrupted")
    assert [p.name for p in target.iterdir()] == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_atomic_outputs_get_the_usual_permissions(tmp_path: Path) -> None:
    """Temporary files are private, but what lands at the target has the mode a plain write would
    give (0o666 / 0o777 less the umask), so outputs are as readable as any other file."""
    import stat

    from motionctx.io import atomic_dir

    old = os.umask(0o022)
    try:
        f = atomic_write_json(tmp_path / "out.json", {"ok": 1})
        with atomic_dir(tmp_path / "folder") as tmp:
            (tmp / "a.txt").write_text("1")
        assert stat.S_IMODE(f.stat().st_mode) == 0o644
        assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755
    finally:
        os.umask(old)
