"""The shipped toy recipes run end to end in order (the bundled model's pose_full; the method's
stage 1, stage 2 and animate), cut down to a few clips and steps: the same files users run for
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
