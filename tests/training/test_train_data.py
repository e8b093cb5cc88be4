"""Manifests, `motionctx data check`, window reads, the cache, batch planning and sample assembly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from motionctx.errors import InputError


def write_odd_video(path: Path, frames: int = 6, size: tuple[int, int] = (47, 33)) -> Path:
    """An FFV1/MKV video with odd sides (write_video pads to even, so PyAV directly)."""
    import av
    import numpy as np

    h, w = size
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=8)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv444p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((h, w, 3), 20 * i, np.uint8), format="rgb24").reformat(
                format="yuv444p"
            )
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


# ----------------------------------------------------------------- manifest and data check


def test_manifest_resolves_paths_and_fields(tmp_path: Path) -> None:
    from motionctx.engines.training.manifest import read_manifest

    (tmp_path / "m.jsonl").write_text(
        '{"path": "a.mp4", "caption": "hi", "keypoints": "a.npz"}\n'
        '{"video": "/abs/b.mp4", "prompt": "p", "id": "b", "x": 1}\n'
    )
    a, b = read_manifest(tmp_path / "m.jsonl")
    assert (
        a.id == "line-000001"
        and a.path == tmp_path / "a.mp4"
        and a.keypoints == tmp_path / "a.npz"
        and a.caption == "hi"
    )
    assert b.id == "b" and b.path == Path("/abs/b.mp4") and b.caption == "p" and b.extra == {"x": 1}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"caption": "x"}\n', "has no `path`"),
        ('{"path": "a", "id": "k"}\n{"path": "b", "id": "k"}\n', "also used by record 1"),
    ],
)
def test_manifest_errors_name_the_record(tmp_path: Path, text: str, match: str) -> None:
    from motionctx.engines.training.manifest import read_manifest

    (tmp_path / "m.jsonl").write_text(text)
    with pytest.raises(InputError, match=match):
        read_manifest(tmp_path / "m.jsonl")


@pytest.fixture
def mixed_manifest(tmp_path: Path, make_clips) -> Path:
    """Two good clips, one too short, one odd-size, one unreadable, one missing."""
    manifest = make_clips([(32, 32), (32, 48), (32, 32)], frames=[13, 13, 3])
    write_odd_video(manifest.parent / "odd.mkv")
    (manifest.parent / "broken.mp4").write_bytes(b"not a video at all")
    with manifest.open("a") as fh:
        for name in ("odd.mkv", "broken.mp4", "missing.mp4"):
            fh.write(json.dumps({"path": name}) + "\n")
    return manifest


def test_check_manifest_reports_every_bad_line(mixed_manifest: Path) -> None:
    from motionctx.engines.training.manifest import check_manifest

    results = check_manifest(mixed_manifest, min_frames=5, min_side=16)
    problems = {r.path.rsplit("/", 1)[-1]: r.problems for r in results}
    assert problems["clip0.mp4"] == [] and problems["clip1.mp4"] == []
    assert problems["clip2.mp4"] == ["too short: 3 frames < 5"]
    assert any(p.startswith("odd size: 47x33") for p in problems["odd.mkv"])
    assert problems["broken.mp4"][0].startswith("unreadable")
    assert problems["missing.mp4"][0].startswith("unreadable") and "does not exist" in problems["missing.mp4"][0]
    odd = next(r for r in results if r.path.endswith("odd.mkv"))
    assert odd.frames == 6  # counted from packets: the MKV header gives no frame count


def test_data_check_command(mixed_manifest: Path, train_plugins) -> None:
    from typer.testing import CliRunner

    from motionctx.cli import create_app

    app = create_app()
    runner = CliRunner()
    res = runner.invoke(app, ["data", "check", str(mixed_manifest), "--min-frames", "5", "--min-side", "16"])
    assert res.exit_code == 2, res.output
    assert "too short" in res.output and "odd size" in res.output and "4 of 6 clips have problems" in res.output
    res = runner.invoke(app, ["data", "check", str(mixed_manifest), "--min-frames", "5", "--min-side", "16", "--json"])
    assert res.exit_code == 2
    data = json.loads(res.stdout)
    assert data["clips"] == 6 and data["bad"] == 4 and [r["ok"] for r in data["results"]][:2] == [True, True]
    good = mixed_manifest.with_name("good.jsonl")
    good.write_text("".join(mixed_manifest.read_text().splitlines(keepends=True)[:2]))
    res = runner.invoke(app, ["data", "check", str(good), "--min-frames", "5", "--min-side", "16"])
    assert res.exit_code == 0 and "0 of 2 clips have problems" in res.output


# ----------------------------------------------------------------- video windows


def test_read_window_matches_full_decode(tmp_path: Path) -> None:
    from motionctx.engines.training.video import iter_chunks, probe, read_window
    from motionctx.io import read_video, write_video
    from motionctx.testing import random_video

    path = write_video(tmp_path / "v.mp4", random_video(300, 16, 16, seed=1, fps=24))
    full = read_video(path)
    assert probe(path).frames == 300 and probe(path).size == (16, 16)
    for start, count, stride in [(0, 5, 1), (7, 9, 1), (150, 49, 2), (291, 9, 1)]:
        window = read_window(path, start, count, stride)
        assert torch.equal(window.frames, full.frames[start : start + count * stride : stride])
    assert sum(c.num_frames for c in iter_chunks(path, 64)) == 300
    with pytest.raises(InputError, match="has no frames 295"):
        read_window(path, 295, 10)


# ----------------------------------------------------------------- cache


def test_cache_keys_hashes_and_entries(tmp_path: Path) -> None:
    from motionctx.engines.training.cache import Cache, cache_key

    cache = Cache(tmp_path / "cache")
    assert cache_key(a=1, b={"x": 2}) == cache_key(b={"x": 2}, a=1) != cache_key(a=1, b={"x": 3})
    f = tmp_path / "f.bin"
    f.write_bytes(b"one")
    first = cache.file_hash(f)
    memo = next((tmp_path / "cache" / "hashes").iterdir())
    assert cache.file_hash(f) == first and json.loads(memo.read_text())["sha256"] == first
    f.write_bytes(b"two!")
    assert cache.file_hash(f) != first  # size/mtime changed: hashed again
    cache.put_tensors("text", "ab" * 32, {"embedding": torch.ones(2, 3)})
    assert torch.equal(cache.get_tensors("text", "ab" * 32)["embedding"], torch.ones(2, 3))
    cache.put_json("captions", "cd" * 32, {"caption": "x"})
    assert cache.get_json("captions", "cd" * 32) == {"caption": "x"} and cache.get_json("captions", "ef" * 32) is None
    assert not [p for p in (tmp_path / "cache").rglob("*") if ".tmp-" in p.name]


# ----------------------------------------------------------------- batch planning


def _clips(sizes: list[tuple[int, int]], frames: list[int]):
    from motionctx.engines.training.data import Clip
    from motionctx.engines.training.prepare import nearest_bucket

    buckets = [(32, 32), (32, 48), (48, 32)]
    return [
        Clip(i, f"c{i}", f"/x/{i}.mp4", n, 8.0, s, nearest_bucket(s, buckets))
        for i, (s, n) in enumerate(zip(sizes, frames))
    ]


def test_planner_is_deterministic_and_covers_each_epoch() -> None:
    from motionctx.engines.training.data import BatchPlanner
    from motionctx.types import Geometry

    clips = _clips([(32, 32), (64, 96), (96, 64), (30, 30), (33, 50), (40, 40)], [13, 30, 200, 9, 50, 121])
    kw = {"batch_size": 1, "frames": (5, 21), "stride": 2, "geometry": Geometry(), "seed": 3}
    a, b = BatchPlanner(clips, **kw), BatchPlanner(clips, **kw)
    assert [a.plan(g) for g in range(20)] == [b.plan(g) for g in reversed(range(20))][::-1]
    assert a.batches_per_epoch == 6
    assert sorted(a.plan(g).clips[0] for g in range(6)) == list(range(6))
    assert sorted(a.plan(g).clips[0] for g in range(6, 12)) == list(range(6))
    assert [a.plan(g).clips for g in range(6)] != [a.plan(g).clips for g in range(6, 12)]  # reshuffled
    for g in range(40):
        p = a.plan(g)
        clip = clips[p.clips[0]]
        assert (p.frames - 1) % 4 == 0 and p.frames <= 21 and p.bucket == clip.bucket
        assert p.frames >= 5 or p.frames == a.usable_frames(clip)
        assert 0 <= p.starts[0] and p.starts[0] + (p.frames - 1) * 2 < clip.frames


def test_planner_batches_share_a_bucket() -> None:
    from motionctx.engines.training.data import BatchPlanner
    from motionctx.types import Geometry

    clips = _clips([(32, 32), (32, 32), (32, 32), (32, 48), (32, 48), (48, 32)], [13] * 6)
    planner = BatchPlanner(clips, batch_size=2, frames=(5, 9), stride=1, geometry=Geometry(), seed=0)
    for g in range(12):
        plan = planner.plan(g)
        assert len(plan.clips) == 2 and len({clips[i].bucket for i in plan.clips}) == 1


# ----------------------------------------------------------------- sample assembly


def _data(clips, motion, seed: int = 0, batch_size: int = 1):
    from motionctx.builtins.composers import SpatialComposer
    from motionctx.engines.training.data import BatchPlanner, TrainingData
    from motionctx.types import Geometry

    planner = BatchPlanner(clips, batch_size=batch_size, frames=(5, 9), stride=1, geometry=Geometry(), seed=seed)
    return TrainingData(clips, planner, motion, SpatialComposer(), Geometry(), seed=seed)


def _real_clips(manifest: Path, poses: bool = False):
    from motionctx.engines.training.data import Clip
    from motionctx.engines.training.manifest import read_manifest
    from motionctx.engines.training.prepare import nearest_bucket
    from motionctx.engines.training.video import probe

    out = []
    for i, e in enumerate(read_manifest(manifest)):
        info = probe(e.path)
        out.append(
            Clip(
                i,
                e.id,
                str(e.path),
                info.frames,
                info.fps,
                info.size,
                nearest_bucket(info.size, [(32, 32), (32, 48), (48, 32)]),
                e.caption or "",
                poses=str(e.keypoints) if poses else None,
            )
        )
    return out


def test_raw_video_sample_is_the_method_layout(make_clips) -> None:
    from motionctx.builtins.motion_sources import RawVideoMotionSource
    from motionctx.engines.training.video import read_window

    clips = _real_clips(make_clips())
    data = _data(clips, RawVideoMotionSource(), batch_size=2)
    batch = data[5]
    plan = data.planner.plan(5)
    for comp, clean, ci, start, ident in zip(batch.composites, batch.clean, plan.clips, plan.starts, batch.ids):
        h, w = plan.bucket
        assert comp.video.frames.shape == (plan.frames, 3, h, 2 * w) and clean.frames.shape == comp.video.frames.shape
        target = read_window(clips[ci].path, start, plan.frames)
        assert target.size == (h, w)  # same-aspect bucket: no resize needed
        assert torch.equal(clean.frames[:, :, :, :w], target.frames)  # the target region holds the window
        assert torch.equal(comp.video.frames[0, :, :, :w], target.frames[0])  # reference = first frame
        assert torch.equal(comp.video.frames[:, :, :, w:], target.frames)  # raw_video motion = the window
        assert comp.known["reference"][0].sum() == h * w and comp.known["reference"][1:].sum() == 0
        assert ident == f"{clips[ci].id}[{start}:{start + plan.frames}:1]"
    again = data[5]
    assert all(torch.equal(a.video.frames, b.video.frames) for a, b in zip(batch.composites, again.composites))


def test_cached_poses_match_the_pose_source_and_augment_switches(make_clips) -> None:
    from motionctx.builtins.pose_motion import PoseMotionSource
    from motionctx.engines.training.data import motion_from_poses
    from motionctx.engines.training.video import read_window
    from motionctx.pose import load_poses
    from motionctx.types import Image

    manifest = make_clips([(32, 48)], frames=9, keypoints=True)
    clip = _real_clips(manifest, poses=True)[0]
    video = read_window(clip.path, 0, 9)
    reference = Image(video.frames[0].contiguous())
    poses = load_poses(clip.poses)

    def both(augment: dict, seed: int):
        source = PoseMotionSource(estimator={"use": "keypoints_file", "with": {"path": clip.poses}}, augment=augment)
        direct = source.prepare(video, reference, train=True, rng=torch.Generator().manual_seed(seed))
        cached = motion_from_poses(source, poses, reference, video.fps, torch.Generator().manual_seed(seed))
        return direct, cached

    for augment in ({"bone_scale": [0.6, 1.4], "bbox_normalize": True}, {"bone_scale": None, "bbox_normalize": False}):
        direct, cached = both(augment, 5)
        assert torch.equal(direct.frames, cached.frames)
    on_a, _ = both({"bone_scale": [0.6, 1.4], "bbox_normalize": False}, 1)
    on_b, _ = both({"bone_scale": [0.6, 1.4], "bbox_normalize": False}, 2)
    off_a, _ = both({"bone_scale": None, "bbox_normalize": False}, 1)
    off_b, _ = both({"bone_scale": None, "bbox_normalize": False}, 2)
    assert not torch.equal(on_a.frames, on_b.frames)  # bone scaling draws from the seed
    assert torch.equal(off_a.frames, off_b.frames)  # with augmentation off the seed does not matter
    assert off_a.frames.amax() > 0.2  # a skeleton was drawn


def test_pose_batches_use_cached_poses(make_clips) -> None:
    from motionctx.builtins.pose_motion import PoseMotionSource

    clips = _real_clips(make_clips(keypoints=True), poses=True)
    source = PoseMotionSource(estimator={"use": "keypoints_file", "with": {"path": "unused.npz"}})
    batch = _data(clips, source)[3]
    (motion,) = batch.motion
    assert motion.frames.amax() > 0.2 and motion.num_frames == batch.clean[0].num_frames


def test_worker_processes_give_the_same_batches(make_clips) -> None:
    from torch.utils.data import DataLoader

    from motionctx.builtins.motion_sources import RawVideoMotionSource
    from motionctx.engines.training.data import GlobalIndices, collate_one

    data = _data(_real_clips(make_clips()), RawVideoMotionSource(), seed=4)
    loader = DataLoader(
        data, batch_size=None, sampler=GlobalIndices(2, 6, rank=1, world=2), num_workers=1, collate_fn=collate_one
    )
    got = list(loader)
    assert [b.index for b in got] == [5, 7, 9, 11]  # micro-batches 2..5 of rank 1 of 2
    for b in got:
        want = data[b.index]
        assert b.ids == want.ids and all(torch.equal(x.frames, y.frames) for x, y in zip(b.clean, want.clean))


def test_thread_prefetch_keeps_order_and_raises_errors() -> None:
    from motionctx.engines.training.data import ThreadPrefetch

    assert list(ThreadPrefetch(range(7), depth=2)) == list(range(7))

    def broken():
        yield 1
        raise InputError("clip 2 is damaged")

    it = ThreadPrefetch(broken())
    assert next(it) == 1
    with pytest.raises(InputError, match="clip 2 is damaged"):
        next(it)
    endless = ThreadPrefetch(iter(int, 1), depth=1)  # never ends: close() must still stop it
    next(endless)
    endless.close()
    assert not endless._thread.is_alive()


def test_motion_hint_fades_the_target_out_of_the_motion_signal(make_clips) -> None:
    from motionctx.builtins.composers import SpatialComposer
    from motionctx.builtins.pose_motion import PoseMotionSource
    from motionctx.engines.training.data import BatchPlanner, TrainingData
    from motionctx.types import Geometry

    clips = _real_clips(make_clips(keypoints=True), poses=True)
    source = PoseMotionSource(estimator={"use": "keypoints_file", "with": {"path": "unused.npz"}})
    planner = BatchPlanner(clips, batch_size=1, frames=(5, 9), stride=1, geometry=Geometry(), seed=0)
    plain = TrainingData(clips, planner, source, SpatialComposer(), Geometry(), seed=0)
    hinted = TrainingData(
        clips, planner, source, SpatialComposer(), Geometry(), seed=0, motion_hint=(2, 6), batches_per_step=2
    )
    # two batches per optimizer step: batch g belongs to step g // 2
    assert [hinted.hint_weight(g) for g in (0, 3, 4, 6, 8, 10, 12, 40)] == [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    assert all(plain.hint_weight(g) == 0.0 for g in (0, 5, 40))
    for g, w in ((1, 1.0), (8, 0.5), (12, 0.0)):
        (skeleton,) = plain[g].motion
        batch = hinted[g]
        (motion,) = batch.motion
        target = batch.clean[0].frames[..., : skeleton.size[1]]
        assert torch.allclose(motion.frames, w * target + (1 - w) * skeleton.frames, atol=1e-6)
        assert torch.equal(batch.composites[0].video.frames[..., skeleton.size[1] :], motion.frames)
    assert not torch.allclose(hinted[1].motion[0].frames, plain[1].motion[0].frames)  # the hint changes the signal


def test_motion_hint_must_be_an_increasing_range() -> None:
    from pydantic import ValidationError

    from motionctx.engines.training.options import TrainConfig

    assert TrainConfig(motion_hint=(0, 100)).motion_hint == (0, 100)
    with pytest.raises(ValidationError, match="motion_hint"):
        TrainConfig(motion_hint=(200, 100))
