"""Synthesis planning/sharding and the filter stage over real files."""

from __future__ import annotations

import json
from pathlib import Path

from motionctx.engines.synthesis import plan_units, shard
from motionctx.io import append_jsonl, read_jsonl, write_image, write_video
from motionctx.recipe import load_recipe
from motionctx.testing import random_image, random_video
from motionctx.types import Video


def test_units_are_stable_and_shards_cover_each_once() -> None:
    clips = [{"path": f"clip{i}.mp4"} for i in range(7)]
    refs = [f"ref{i}.png" for i in range(5)]
    a, b = plan_units(clips, refs, 2, seed=3), plan_units(clips, refs, 2, seed=3)
    assert a == b and len(a) == 14 and len({u.id for u in a}) == 14
    shards = [shard(a, r, 3) for r in range(3)]
    ids = [u.id for s in shards for u in s]
    assert sorted(ids) == sorted(u.id for u in a)


def test_filter_stage_keeps_mean_above_threshold_and_resumes(tmp_path: Path) -> None:
    ref = random_image(32, 32, seed=1)
    still = write_video(tmp_path / "still.mp4", Video(ref.pixels[None].repeat(5, 1, 1, 1)))
    noise = write_video(tmp_path / "noise.mp4", random_video(5, 32, 32, seed=2))
    ref_path = write_image(tmp_path / "ref.png", ref)
    manifest = tmp_path / "synth.jsonl"
    for uid, video in (("good", still), ("bad", noise)):
        append_jsonl(manifest, {"id": uid, "driving": str(still), "reference": str(ref_path), "video": str(video)})
    recipe = tmp_path / "f.yaml"
    recipe.write_text(f"motionctx: 1\nname: f\noutput: {tmp_path / 'out'}\nparts:\n  filter: {{use: basic_quality}}\n"
                      f"stages:\n  - {{run: filter, with: {{manifest: {manifest}, threshold: 4.0}}}}\n")
    load_recipe(recipe).run(progress=False)
    kept = read_jsonl(tmp_path / "out" / "filtered.jsonl")
    assert [k["id"] for k in kept] == ["good"] and kept[0]["score"] > 4.0
    scores = read_jsonl(tmp_path / "out" / "scores.jsonl")
    assert len(scores) == 2
    load_recipe(recipe).run(progress=False)  # resumed: nothing scored twice
    assert len(read_jsonl(tmp_path / "out" / "scores.jsonl")) == 2
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["stages"][0]["metrics"] == {"kept": 1, "total": 2}


def test_done_ids_need_the_video_on_disk(tmp_path: Path) -> None:
    from motionctx.engines.synthesis import done_ids

    video = write_video(tmp_path / "a.mp4", random_video(2, 16, 16))
    manifest = tmp_path / "m.jsonl"
    append_jsonl(manifest, {"id": "a", "video": str(video)})
    append_jsonl(manifest, {"id": "b", "video": str(tmp_path / "gone.mp4")})
    append_jsonl(manifest, {"id": "c"})
    assert done_ids(manifest) == {"a"}
