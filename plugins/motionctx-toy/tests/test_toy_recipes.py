"""The shipped toy recipes run end to end in order (the bundled model's pose_full; the method's
stage 1, stage 2 and animate; the end-to-end loop), cut down to a few clips and steps: the same files users run for
hours, checked in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motionctx.io import read_video
from motionctx.pipeline import Pipeline
from motionctx.recipe import load_recipe

TOY = Path(__file__).resolve().parents[3] / "recipes" / "toy"


def _run(name: str, models: Path, data: Path, stage_overrides: dict[str, object]) -> Path:
    overrides = {"inputs.models": str(models), "inputs.data": str(data), **stage_overrides}
    recipe = load_recipe(TOY / name, overrides)
    Pipeline(recipe, progress=False).run()
    return recipe.output_dir


@pytest.mark.slow
def test_toy_recipes_chain(tmp_path: Path) -> None:
    models, data = tmp_path / "models", tmp_path / "data"
    small_train = {"steps": 2, "batch_size": 2, "warmup_steps": 0, "checkpoint_every": 2, "log_every": 1}
    full = _run("pose_full.yaml", models, data, {
        "stages.1.with.count": 4, **{f"stages.3.with.{k}": v for k, v in small_train.items()}})
    assert (full / "train" / "model" / "model_index.json").is_file()
    scheduler = json.loads((full / "train" / "model" / "scheduler" / "scheduler_config.json").read_text())
    assert scheduler["flow_shift"] == 3.0  # samples at the shift it was trained at
    pre = _run("pretrain_i2v.yaml", models, data, {
        "stages.1.with.count": 6, **{f"stages.3.with.{k}": v for k, v in small_train.items()}})
    assert (pre / "train" / "model" / "model_index.json").is_file()
    pose = _run("train_pose.yaml", models, data, {
        "stages.0.with.count": 4, **{f"stages.2.with.{k}": v for k, v in small_train.items()}})
    assert (pose / "train" / "lora.safetensors").is_file()
    manifest = [json.loads(line) for line in (data / "simple" / "train" / "manifest.jsonl").read_text().splitlines()]
    stills = sum(bool(line.get("reference")) for line in manifest)
    assert 0 < stills < len(manifest)  # references: 0.5: some clips train on a still, the others on their first frame
    out = _run("animate.yaml", models, data, {"stages.0.with.steps": 2})
    video = read_video(out / "out.mp4")
    assert video.size == (32, 32) and video.num_frames == 17

    # the end-to-end loop on the same clips, the bundled model as the teacher
    e2e = _run("e2e.yaml", models, data, {
        "stages.0.with.count": 4, "stages.1.with.limit": 3, "stages.1.with.steps": 2,
        **{f"stages.4.with.{k}": v for k, v in small_train.items()}})
    units = [json.loads(line) for line in (e2e / "synth" / "manifest.jsonl").read_text().splitlines()]
    assert len(units) == 3 and all(u["keypoints"].endswith(".poses.npz") for u in units)  # drawn from the manifest
    assert all(u["prompt"] == u["caption"] and u["prompt"] for u in units)  # prompt: "{caption}"
    assert all(u["reference"].endswith(".reference.png") for u in units)
    scores = [json.loads(line) for line in (e2e / "scores.jsonl").read_text().splitlines()]
    assert {"agreement.motion_correlation", "colours.colour_distance", "sharpness"} <= set(scores[0]["scores"])
    assert (e2e / "train" / "model" / "model_index.json").is_file()

    from motionctx_toy.filter_truth import filter_table, filter_threshold, unit_rows

    rows = unit_rows(e2e)
    assert len(rows) == 3 and all(0.0 <= r["iou"] <= 1.0 and 0.0 <= r["iou_copy"] <= 1.0 for r in rows)
    report = filter_table(rows, filter_threshold(e2e))
    assert report["threshold"] == 3.5 and report["units"] == 3
