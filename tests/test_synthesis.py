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
    with_files = plan_units([{"path": f"clip{i}.mp4", "keypoints": f"clip{i}.npz"} for i in range(4)], ["a.png", "b.png"],
                            2, seed=0)
    assert [u.id for u in with_files] == [u.id for u in units]  # a keypoint file keeps the ids (resume)
    assert [u.keypoints for u in with_files][:2] == ["clip0.npz", "clip0.npz"] and units[0].keypoints is None


def test_filter_writes_training_lines_target_source_motion_synthesised(tmp_path: Path, monkeypatch) -> None:
    """Paths come out absolute: the synthesize stage writes them relative to the working folder (a
    relative output folder), a training manifest's relative paths start at its own folder."""
    from motionctx.engines.synthesis import training_entry

    monkeypatch.chdir(tmp_path)
    line = training_entry({"id": "u", "driving": "clip.mp4", "reference": "id.png", "video": "out/u.mp4",
                           "source": "out/u.source.mp4", "start": 3, "seed": 9, "caption": "c", "prompt": "p"})
    assert (line["path"], line["driving"], line.get("reference"), line["caption"]) == (
        str(tmp_path / "out/u.source.mp4"), str(tmp_path / "out/u.mp4"), None, "c")
    assert (line["clip"], line["identity"], line["start"], line["seed"]) == (
        str(tmp_path / "clip.mp4"), str(tmp_path / "id.png"), 3, 9)
    assert "keypoints" not in line  # absent from the record: none under either name
    # the clip's keypoint file describes the clip, not the synthesised video the line trains on
    line = training_entry({"id": "u", "driving": "/data/clip.mp4", "video": "/o/u.mp4", "keypoints": "/data/clip.npz"})
    assert "keypoints" not in line and line["clip_keypoints"] == "/data/clip.npz" and line["path"] == "/data/clip.mp4"


def test_references_from_a_jsonl_manifest_start_at_its_folder(tmp_path: Path) -> None:
    from motionctx.engines.synthesis import list_references
    from motionctx.testing import random_image

    refs = tmp_path / "refs"
    elsewhere = write_image(tmp_path / "other" / "b.png", random_image(16, 16))
    write_image(refs / "a.png", random_image(16, 16))
    append_jsonl(refs / "refs.jsonl", {"reference": "a.png"})
    append_jsonl(refs / "refs.jsonl", {"path": str(elsewhere)})  # absolute: as written
    found = list_references(str(refs / "refs.jsonl"))
    assert found == [str(refs / "a.png"), str(elsewhere)] and all(Path(p).is_file() for p in found)


def test_filter_threshold_zero_keeps_every_sample_and_still_scores(tmp_path: Path) -> None:
    load_recipe(_filter_run(tmp_path, "  filter: {use: basic_quality}\n", "threshold: 0")).run(progress=False)
    scores = {r["id"]: r["mean"] for r in read_jsonl(tmp_path / "out" / "scores.jsonl")}
    assert set(scores) == {"good", "bad"} and scores["bad"] < 4.0  # the default threshold drops `bad`
    kept = read_jsonl(tmp_path / "out" / "filtered.jsonl")
    assert sorted(k["id"] for k in kept) == ["bad", "good"] and all(k["score"] == scores[k["id"]] for k in kept)


# A dancer seen from the front: a neck and a hip in one column, which moves right by frame index.
H = W = 32


def _x(t: int) -> float:
    return 4.0 + 2.0 * t


def _save_dancer_poses(path: Path, columns: list[float]) -> Path:
    """A keypoint file (``openpose_18``) with the neck and right hip of frame t at ``columns[t]``."""
    import torch

    from motionctx.pose import get_skeleton, save_poses
    from motionctx.types import PoseSequence

    kp, sc = torch.zeros(len(columns), 1, 18, 2), torch.zeros(len(columns), 1, 18)
    for t, x in enumerate(columns):
        kp[t, 0, 1], kp[t, 0, 8] = torch.tensor([x, 6.0]), torch.tensor([x, 26.0])
        sc[t, 0, [1, 8]] = 1.0
    return save_poses(path, PoseSequence(kp, sc, get_skeleton("openpose_18"), (H, W), 8.0))


def _write_dancer(folder: Path, frames: int) -> tuple[Path, Path]:
    """The dancer's video (a white line at the neck's column) and its keypoint file."""
    import numpy as np

    pixels = np.zeros((frames, H, W, 3), np.uint8)
    for t in range(frames):
        pixels[t, :, int(_x(t))] = 255
    video = write_video(folder / "dance.mp4", Video.from_uint8(pixels, fps=8))
    return video, _save_dancer_poses(folder / "dance.poses.npz", [_x(t) for t in range(frames)])


def _columns(motion: object) -> list[float]:
    """The mean column of the drawn skeleton in each frame."""
    import torch

    out = []
    for frame in motion:
        _, xs = torch.nonzero(frame.amax(0) > 0.2, as_tuple=True)
        out.append(float(xs.float().mean()))
    return out


def _pose_source(poses: Path) -> object:
    from motionctx.plugins import build_part

    return build_part("motion_source", "pose", {"estimator": {"use": "keypoints_file", "with": {"path": str(poses)}}})


def test_a_keypoint_file_draws_the_entries_of_the_window_frames(tmp_path: Path) -> None:
    from motionctx.engines.inputs import fit_inputs
    from motionctx.engines.synthesis import KeypointsMotion
    from motionctx.io import read_video
    from motionctx.testing import random_image
    from motionctx.types import Geometry

    video, poses = _write_dancer(tmp_path, 12)
    elsewhere = _save_dancer_poses(tmp_path / "still.npz", [W / 2] * 12)  # the slot's own estimator's file
    window = read_video(video, start=4, max_frames=5)  # as the stage reads a unit's window
    fitted = fit_inputs(random_image(H, W), window, Geometry(), max_frames=5)
    assert fitted.driving.start == 4 and fitted.driving.num_frames == 5
    motion = _pose_source(elsewhere)
    drawn = KeypointsMotion(motion, poses).prepare(fitted.driving, fitted.reference)
    assert drawn.num_frames == 5 and drawn.size == (H, W)
    for t, column in zip(range(4, 9), _columns(drawn.frames), strict=True):  # frames 4..8 of the file
        assert abs(column - _x(t)) <= 1.5, (t, column)
    assert all(abs(c - W / 2) <= 1.5 for c in _columns(motion.prepare(fitted.driving, fitted.reference).frames))


SYNTH_RECIPE = """\
motionctx: 1
name: synth_keypoints
output: {out}
parts:
  teacher: {{kind: backbone, use: wan_i2v, with: {{path: "{model}", dtype: float32, max_sequence_length: 128,
                                                  rope_parts: 2, hold_known: true}}}}
  from_file: {{kind: motion_source, use: pose, with: {{estimator: {{use: keypoints_file, with: {{path: "{poses}"}}}}}}}}
  from_still: {{kind: motion_source, use: pose, with: {{estimator: {{use: keypoints_file, with: {{path: "{still}"}}}}}}}}
  raw: {{kind: motion_source, use: raw_video}}
  composer: {{use: spatial}}
stages:
{stages}"""


def test_synthesize_draws_the_clips_keypoint_file_instead_of_estimating(tmp_path: Path) -> None:
    """With the bundled toy teacher: a unit whose clip has a keypoint file gives what estimating
    from that file gives, whatever the slot's estimator reads; raw_video ignores the file."""
    import pytest
    import torch

    from motionctx.engines.synthesis import unit_window
    from motionctx.io import read_video
    from motionctx.testing import random_image

    bundled = pytest.importorskip("motionctx_toy.bundled")
    pytest.importorskip("motionctx_wan")
    frames, n = 9, 5
    clips = tmp_path / "clips"
    video, poses = _write_dancer(clips, frames)
    refs = tmp_path / "refs"
    write_image(refs / "id.png", random_image(H, W, seed=3))
    append_jsonl(refs / "refs.jsonl", {"reference": "id.png"})  # relative to its manifest

    def window_start(seed: int) -> int:  # where the stage's one unit will start with this seed
        unit = plan_units([{"path": str(video)}], [str(refs / "id.png")], 1, seed)[0]
        return unit_window(unit.id, seed, frames, n)[0]

    seed = next(s for s in range(100) if window_start(s) > 0)
    start = window_start(seed)
    # the clip's file agrees with the dancer on the unit's window only: elsewhere it stands mirrored
    window_only = _save_dancer_poses(clips / "window.npz", [_x(t) if start <= t < start + n else W - 1 - _x(t)
                                                            for t in range(frames)])
    append_jsonl(clips / "with.jsonl", {"path": "dance.mp4", "keypoints": "window.npz"})
    append_jsonl(clips / "plain.jsonl", {"path": "dance.mp4"})
    still = _save_dancer_poses(tmp_path / "still.npz", [W / 2] * frames)
    runs = {"file": ("with", "from_still"), "estimated": ("plain", "from_file"), "still": ("plain", "from_still"),
            "raw": ("with", "raw")}
    stages = "".join(
        f"  - {{run: synthesize, with: {{manifest: \"{clips / m}.jsonl\", references: \"{refs / 'refs.jsonl'}\", "
        f"folder: {name}, motion: {slot}, text: null, steps: 2, guidance: 1.0, max_frames: {n}, seed: {seed}, "
            f"lossless: true}}}}\n"
        for name, (m, slot) in runs.items()
    )
    recipe = tmp_path / "r.yaml"
    recipe.write_text(SYNTH_RECIPE.format(out=tmp_path / "out", model=bundled.bundled_model(), poses=poses,
                                          still=still, stages=stages))
    load_recipe(recipe).run(progress=False)

    entries = {name: read_jsonl(tmp_path / "out" / name / "manifest.jsonl") for name in runs}
    assert all(len(e) == 1 for e in entries.values())
    entry = {name: e[0] for name, e in entries.items()}
    assert len({e["id"] for e in entry.values()}) == 1  # the keypoints do not change the unit's id
    assert entry["file"]["start"] == start > 0
    assert entry["file"]["keypoints"] == str(window_only)
    assert "keypoints" not in entry["estimated"] and "keypoints" not in entry["raw"]  # raw_video ignores the file
    made = {name: read_video(e["video"]).frames for name, e in entry.items()}
    # lossless videos: equal frames read back equal (lossy ones failed a clean run once, 0.055 apart)
    torch.testing.assert_close(made["file"], made["estimated"])  # the window's entries, not the slot's file
    # the teacher follows the skeleton it is given: 0.012-0.032 apart at 2 steps, by the window's start
    assert (made["file"] - made["still"]).abs().mean() > 0.005


def test_synthesize_prompt_takes_only_the_caption_placeholder(tmp_path: Path) -> None:
    import pytest

    from motionctx.errors import RecipeError

    recipe = tmp_path / "r.yaml"
    recipe.write_text("motionctx: 1\nname: r\noutput: out\nstages:\n  - run: synthesize\n"
                      "    with: {manifest: m.jsonl, references: refs, text: null, prompt: 'A {who} dances'}\n")
    with pytest.raises(RecipeError, match=r"only \{caption\} can be filled in"):
        load_recipe(recipe)
