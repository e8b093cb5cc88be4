"""Synthesis planning/sharding and the filter stage over real files."""

from __future__ import annotations

import json
from pathlib import Path

from motionctx.engines.synthesis import plan_units, shard
from motionctx.io import append_jsonl, read_jsonl, write_image, write_video
from motionctx.recipe import load_recipe
from motionctx.testing import random_video
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
    recipe = _filter_run(tmp_path, "  filter: {use: basic_quality}\n", "threshold: 4.0")
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
    other = tmp_path / "m.rank1.jsonl"  # another process's records count too
    append_jsonl(other, {"id": "d", "video": str(video)})
    assert done_ids(manifest, other, tmp_path / "absent.jsonl") == {"a", "d"}


def _filter_run(tmp_path: Path, parts: str, stage: str) -> Path:
    """A filter recipe over two samples of one reference (a red block on green): ``good`` holds
    the reference still, ``bad`` is noise."""
    import torch

    from motionctx.types import Image

    pixels = torch.tensor([0.2, 0.6, 0.3]).view(3, 1, 1).repeat(1, 32, 32)
    pixels[:, 8:24, 10:20] = torch.tensor([0.9, 0.1, 0.1]).view(3, 1, 1)
    ref = Image(pixels)
    still = write_video(tmp_path / "still.mp4", Video(ref.pixels[None].repeat(5, 1, 1, 1)))
    noise = write_video(tmp_path / "noise.mp4", random_video(5, 32, 32, seed=2))
    ref_path = write_image(tmp_path / "ref.png", ref)
    manifest = tmp_path / "synth.jsonl"
    for uid, video in (("good", still), ("bad", noise)):
        append_jsonl(manifest, {"id": uid, "driving": str(noise), "reference": str(ref_path), "video": str(video)})
    recipe = tmp_path / "f.yaml"
    recipe.write_text(f"motionctx: 1\nname: f\noutput: {tmp_path / 'out'}\nparts:\n{parts}"
                      f"stages:\n  - {{run: filter, with: {{manifest: {manifest}, {stage}}}}}\n")
    return recipe


def test_filter_stage_scores_with_scorer_parts_on_the_one_to_five_scale(tmp_path: Path) -> None:
    parts = ("  flicker: {kind: scorer, use: temporal_flicker, with: {motion_threshold: 1.0}}\n"
             "  colour: {kind: scorer, use: identity_colour}\n")
    stage = "filter: null, threshold: 3.0, scorers: {flicker: {flicker: [0.2, 0.0]}, colour: {colour_distance: [0.5, 0.0]}}"
    load_recipe(_filter_run(tmp_path, parts, stage)).run(progress=False)
    rows = {r["id"]: r for r in read_jsonl(tmp_path / "out" / "scores.jsonl")}
    good, bad = rows["good"], rows["bad"]
    # a still clip: no flicker (5); its colours are the reference's up to video coding
    assert good["metrics"]["flicker.flicker"] == 0.0 and good["scores"]["flicker.flicker"] == 5.0
    distance = good["metrics"]["colour.colour_distance"]
    assert 0.0 <= distance < 0.1 and good["scores"]["colour.colour_distance"] == 1.0 + 4.0 * (0.5 - distance) / 0.5
    # noise changes every pixel by about 1/3 per frame: past `worst`, so 1
    assert bad["metrics"]["flicker.flicker"] > 0.2 and bad["scores"]["flicker.flicker"] == 1.0
    assert bad["metrics"]["colour.colour_distance"] > distance and bad["mean"] < 3.0 < good["mean"]
    assert [k["id"] for k in read_jsonl(tmp_path / "out" / "filtered.jsonl")] == ["good"]


def test_filter_stage_averages_quality_filter_and_scorer_dimensions(tmp_path: Path) -> None:
    parts = "  filter: {use: basic_quality}\n  flicker: {kind: scorer, use: temporal_flicker, with: {motion_threshold: 1.0}}\n"
    load_recipe(_filter_run(tmp_path, parts, "scorers: {flicker: {flicker: [0.2, 0.0]}}")).run(progress=False)
    row = {r["id"]: r for r in read_jsonl(tmp_path / "out" / "scores.jsonl")}["good"]
    assert set(row["scores"]) == {"sharpness", "temporal_stability", "reference_similarity", "flicker.flicker"}
    assert row["mean"] == sum(row["scores"].values()) / 4


def test_filter_stage_refuses_scorer_settings_it_cannot_use(tmp_path: Path) -> None:
    import pytest

    from motionctx.errors import RecipeError

    flicker = "  flicker: {kind: scorer, use: temporal_flicker}\n"
    cases = [
        (flicker, "filter: null, scorers: {flicker: {flicker: [0.0, 0.2]}}", "but lower is better"),
        (flicker, "filter: null, scorers: {flicker: {flickr: [0.2, 0.0]}}", "has no metric 'flickr'"),
        ("  truth: {kind: scorer, use: ground_truth}\n", "filter: null, scorers: {truth: {psnr: [10, 40]}}", "needs target"),
        ("  filter: {use: basic_quality}\n", "scorers: {filter: {x: [0, 1]}}", "is not a scorer part"),
    ]
    for i, (parts, stage, words) in enumerate(cases):
        recipe = _filter_run(tmp_path / str(i), parts, stage)
        with pytest.raises(RecipeError, match=words):
            load_recipe(recipe).run(progress=False)
    with pytest.raises(RecipeError, match="`filter`\\) or `scorers`"):
        load_recipe(_filter_run(tmp_path / "none", flicker, "filter: null")).run(progress=False)


def test_units_draw_their_own_window_and_seed_and_a_rerun_draws_the_same() -> None:
    from motionctx.engines.synthesis import unit_window

    units = plan_units([{"path": f"clip{i}.mp4"} for i in range(4)], ["a.png", "b.png"], 2, seed=0)
    drawn = [unit_window(u.id, 0, 200, 121) for u in units]
    assert drawn == [unit_window(u.id, 0, 200, 121) for u in units]  # rerun / resume: the same unit
    assert len({s for s, _ in drawn}) > 1 and len({seed for _, seed in drawn}) == len(units)
    assert all(0 <= s <= 200 - 121 for s, _ in drawn)
    assert unit_window(units[0].id, 1, 200, 121) != drawn[0]  # the stage seed changes the draw
    assert unit_window(units[0].id, 0, 100, 121)[0] == 0  # a clip shorter than the window starts at 0


def test_filter_writes_training_lines_target_source_motion_synthesised() -> None:
    from motionctx.engines.synthesis import training_entry

    line = training_entry({"id": "u", "driving": "clip.mp4", "reference": "id.png", "video": "u.mp4",
                           "source": "u.source.mp4", "start": 3, "seed": 9, "caption": "c", "prompt": "p"})
    assert (line["path"], line["driving"], line.get("reference"), line["caption"]) == ("u.source.mp4", "u.mp4", None, "c")
    assert (line["clip"], line["identity"], line["start"], line["seed"]) == ("clip.mp4", "id.png", 3, 9)
