"""The ``prepare`` stage: cache entries, reuse across runs, skipped clips, sharding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _run(recipe: Path):
    from motionctx.pipeline import Pipeline
    from motionctx.recipe import load_recipe

    return Pipeline(load_recipe(recipe), progress=False).run()


def _index(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "data" / "index.jsonl").read_text().splitlines()]


def test_prepare_caches_and_reuses(tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit) -> None:
    manifest = make_clips([(32, 32), (32, 48), (32, 32), (48, 32)], frames=[13, 13, 3, 9], keypoints=True)
    lines = manifest.read_text().splitlines()
    lines[1] = json.dumps({**json.loads(lines[1]), "caption": None})  # described by the text guider
    manifest.write_text("\n".join(lines) + "\n")
    motion = {"use": "pose", "with": {"estimator": {"use": "keypoints_file", "with": {"path": "unused.npz"}}}}
    recipe = kit.write_recipe(
        tmp_path / "r.yaml",
        model=tiny_wan,
        output=tmp_path / "out",
        motion=motion,
        stages=[{"run": "prepare", "with": {"manifest": str(manifest), "text_embeddings": True, **kit.TINY_PREPARE}}],
    )
    (first,) = _run(recipe)
    assert first.metrics["clips"] == 3
    assert first.metrics["skipped"] == [{"id": "clip2", "reason": "too short: 3 frames < 5"}]
    assert first.metrics["computed"] == {"poses": 3, "captions": 1, "text": 3} and first.metrics["reused"] == {}
    index = _index(tmp_path / "out")
    assert [r["id"] for r in index] == ["clip0", "clip1", "clip3"]
    assert index[1]["caption"] == "a square moving" and index[0]["caption"] == "a square moving, clip 0"
    cache = tmp_path / "out" / "cache"
    for rec in index:
        assert (cache / rec["poses"]).is_file() and (cache / rec["text"]).is_file()
        assert rec["frames"] in (9, 13) and rec["size"] in ([32, 32], [32, 48], [48, 32])
    # a second run (a resumed or repeated one) recomputes nothing
    (second,) = _run(recipe)
    assert second.metrics["computed"] == {} and second.metrics["reused"] == {"poses": 3, "captions": 1, "text": 3}
    assert _index(tmp_path / "out") == index
    # a changed caption changes only its own text entry
    lines = manifest.read_text().splitlines()
    lines[0] = json.dumps({**json.loads(lines[0]), "caption": "something else"})
    manifest.write_text("\n".join(lines) + "\n")
    (third,) = _run(recipe)
    assert third.metrics["computed"] == {"text": 1}


def test_prepare_estimates_poses_with_the_motion_sources_estimator(
    tmp_path: Path, make_clips, train_plugins, kit
) -> None:
    """Without manifest keypoints the motion source's estimator runs (here: keypoints_file, one clip)."""
    manifest = make_clips([(32, 48)], frames=9, keypoints=True)
    lines = [json.loads(x) for x in manifest.read_text().splitlines()]
    npz = manifest.parent / lines[0].pop("keypoints")
    manifest.write_text(json.dumps(lines[0]) + "\n")
    motion = {"use": "pose", "with": {"estimator": {"use": "keypoints_file", "with": {"path": str(npz)}}}}
    recipe = kit.write_recipe(
        tmp_path / "r.yaml",
        model=None,
        output=tmp_path / "out",
        motion=motion,
        stages=[
            {
                "run": "prepare",
                "with": {"manifest": str(manifest), "text_embeddings": False, "chunk_frames": 0, **kit.TINY_PREPARE},
            }
        ],
    )
    (res,) = _run(recipe)
    assert res.metrics["computed"] == {"poses": 1}
    from motionctx.pose import load_poses

    rec = _index(tmp_path / "out")[0]
    cached, original = load_poses(tmp_path / "out" / "cache" / rec["poses"]), load_poses(npz)
    assert cached.num_frames == 9 and (cached.keypoints == original.keypoints).all()


def test_concat_poses_pads_people(kit, tmp_path: Path) -> None:
    import torch

    from motionctx.engines.training.prepare import concat_poses
    from motionctx.pose import load_poses

    one = load_poses(kit.save_square_poses(tmp_path / "a.npz", 3, (32, 32), seed=0))
    two = type(one)(
        one.keypoints.repeat(1, 2, 1, 1)[:2], one.scores.repeat(1, 2, 1)[:2], one.skeleton, one.size, one.fps
    )
    joined = concat_poses([one, two])
    assert joined.keypoints.shape == (5, 2, 18, 2) and joined.scores[:3, 1].sum() == 0
    assert torch.equal(joined.keypoints[3:], two.keypoints)


@pytest.mark.parametrize("world", [2, 3])
def test_prepare_shards_cover_every_clip_once(
    tmp_path: Path, make_clips, monkeypatch, train_plugins, world: int
) -> None:
    """Ranks run one after the other here (the two-process test runs them together)."""
    from motionctx.engines.training.options import PrepareConfig
    from motionctx.engines.training.prepare import PrepareParts, prepare_dataset

    manifest = make_clips([(32, 32)] * 5, frames=6)
    config = PrepareConfig(manifest=str(manifest), min_frames=5, text_embeddings=False)
    for rank in reversed(range(world)):  # rank 0 last: it merges
        monkeypatch.setenv("RANK", str(rank))
        monkeypatch.setenv("WORLD_SIZE", str(world))
        report = prepare_dataset(config, PrepareParts(), tmp_path / "out", log=lambda m: None)
    shards = [
        [
            json.loads(x)["id"]
            for x in (tmp_path / "out" / "data" / f"shard-{r}-of-{world}.jsonl").read_text().splitlines()
        ]
        for r in range(world)
    ]
    ids = [i for s in shards for i in s]
    assert sorted(ids) == [f"clip{i}" for i in range(5)] and len(ids) == len(set(ids))
    assert [r["id"] for r in _index(tmp_path / "out")] == [f"clip{i}" for i in range(5)]
    assert report.index.is_file()


def test_prepare_caches_vae_latents(tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit) -> None:
    from safetensors.torch import load_file

    manifest = make_clips([(32, 48), (48, 32)], frames=11)
    stage = {
        "manifest": str(manifest),
        **kit.TINY_PREPARE,
        "latents": True,
        "latent_frames": 9,
        "buckets": [[32, 32], [32, 48], [48, 32]],
    }
    recipe = kit.write_recipe(
        tmp_path / "r.yaml", model=tiny_wan, output=tmp_path / "out", stages=[{"run": "prepare", "with": stage}]
    )
    (res,) = _run(recipe)
    assert res.metrics["computed"]["latents"] == 2
    for rec, (h, w) in zip(_index(tmp_path / "out"), [(32, 48), (48, 32)]):
        assert rec["latents"]["frames"] == 9 and rec["latents"]["size"] == [h, w]
        latents = load_file(str(tmp_path / "out" / "cache" / rec["latents"]["path"]))["latents"]
        assert latents.shape == (1, 16, 3, h // 8, w // 8)  # 9 frames -> 3 latent frames, 8x smaller sides


def test_prepare_skips_a_clip_whose_keypoint_file_has_non_finite_values(
    tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, kit
) -> None:
    """A manifest's keypoint file is checked like any user pose file: NaN coordinates skip that
    clip with a reason naming the file and the frames, instead of training on an empty skeleton."""
    from motionctx.pose.files import read_poses, save_poses

    manifest = make_clips([(32, 32), (32, 32)], frames=9, keypoints=True)
    npz = manifest.parent / json.loads(manifest.read_text().splitlines()[1])["keypoints"]
    poses = read_poses(npz)
    poses.keypoints[2:4] = float("nan")
    save_poses(npz, poses)
    motion = {"use": "pose", "with": {"estimator": {"use": "keypoints_file", "with": {"path": "unused.npz"}}}}
    recipe = kit.write_recipe(
        tmp_path / "r.yaml", model=tiny_wan, output=tmp_path / "out", motion=motion,
        stages=[{"run": "prepare", "with": {"manifest": str(manifest), **kit.TINY_PREPARE}}],
    )
    (result,) = _run(recipe)
    assert result.metrics["clips"] == 1 and [r["id"] for r in _index(tmp_path / "out")] == ["clip0"]
    (skipped,) = result.metrics["skipped"]
    assert skipped["id"] == "clip1" and npz.name in skipped["reason"]
    assert "not finite" in skipped["reason"] and "frame 2, 3 of 9" in skipped["reason"]
