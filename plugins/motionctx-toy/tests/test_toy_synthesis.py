"""The synthesize and filter stages end to end with the bundled toy model as the teacher: each unit
is driven by its own window and seed, the window is saved beside the output (exactly, with
``lossless``), ``limit`` runs the first units of the plan and a rerun adds the rest and redoes
nothing, the prompt is filled from the clip's caption, and the kept lines are training lines
(target = source window, motion = synthesised)."""

from __future__ import annotations

from pathlib import Path

import torch

from motionctx.io import read_jsonl, read_video, write_image
from motionctx.recipe import load_recipe

RECIPE = """\
motionctx: 1
name: synth
requires: [motionctx-wan>=0.1, motionctx-toy>=0.1]
output: {out}
parts:
  teacher: {{kind: backbone, use: wan_i2v, with: {{path: "{model}", dtype: float32, max_sequence_length: 128, rope_parts: 2,
                                  hold_known: true}}}}
  teacher_motion: {{kind: motion_source, use: raw_video}}   # the mechanics, not the pose, are under test
  composer: {{use: spatial}}
  filter: {{use: basic_quality}}
stages:
  - run: synthesize
    with: {{manifest: "{manifest}", references: "{refs}", text: null, prompt: "Toy: {{caption}}", steps: 2,
            guidance: 1.0, max_frames: 5, seed: 7, lossless: true, limit: {limit}}}
  - run: filter
    with: {{manifest: "synth/manifest*.jsonl", threshold: 1.0}}
"""


def test_synthesize_then_filter_with_the_bundled_teacher(tmp_path: Path) -> None:
    from motionctx_toy.bundled import bundled_model
    from motionctx_toy.dataset import write_toy_dataset
    from motionctx_toy.world import world_preset

    world = world_preset("simple", frames=9)
    manifest = write_toy_dataset(tmp_path / "clips", 2, world=world)
    refs = tmp_path / "refs"
    refs.mkdir()
    for i in range(2):
        write_image(refs / f"id{i}.png", world.clip(100 + i).video.frame(0))
    recipe = tmp_path / "r.yaml"

    def run(limit: object) -> list[dict]:
        recipe.write_text(RECIPE.format(out=tmp_path / "out", model=bundled_model(), manifest=manifest, refs=refs,
                                        limit=limit))
        load_recipe(recipe).run(progress=False)
        return [u for f in sorted((tmp_path / "out" / "synth").glob("manifest*.jsonl")) for u in read_jsonl(f)]

    [first] = run(1)  # the first unit of the plan only
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "synth").glob("*.mp4")}
    units = run("null")  # the rest added, the first not redone
    assert units[0] == first and {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert len(units) == 2 and len({(u["start"], u["seed"]) for u in units}) == 2
    captions = {line["path"]: line["caption"] for line in read_jsonl(manifest)}
    for u in units:
        assert u["prompt"] == "Toy: " + captions[Path(u["driving"]).name]
        made, source = read_video(u["video"]), read_video(u["source"])
        assert made.num_frames == source.num_frames == 5 and 0 <= u["start"] <= 4
        whole = read_video(u["driving"])
        window = whole.frames[u["start"]: u["start"] + 5]
        torch.testing.assert_close(source.frames, window, atol=1 / 255, rtol=0)  # exactly the window it was driven by
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "synth").glob("*.mp4")}
    run("null")  # a rerun synthesises nothing again
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out" / "synth").glob("*.mp4")} == stamps

    kept = read_jsonl(tmp_path / "out" / "filtered.jsonl")
    assert sorted(k["id"] for k in kept) == sorted(u["id"] for u in units)
    by_id = {u["id"]: u for u in units}
    for k in kept:
        assert k["path"] == by_id[k["id"]]["source"] and k["driving"] == by_id[k["id"]]["video"]
        assert "reference" not in k  # the source window's first frame is the reference
    assert torch.isfinite(torch.tensor([k["score"] for k in kept])).all()
