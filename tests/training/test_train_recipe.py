"""recipes/train_pose_m2.yaml: it validates, and the same recipe trains tiny parts on the CPU."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import pytest

from motionctx.testing import StageConformance

RECIPE = Path(__file__).resolve().parents[2] / "recipes" / "train_pose_m2.yaml"


@pytest.fixture
def recipe_requirements() -> None:
    for dist in ("motionctx-wan", "motionctx-dwpose", "motionctx-openai"):
        try:
            metadata.version(dist)
        except metadata.PackageNotFoundError:
            pytest.skip(f"{dist} is not installed")


def test_recipe_validates(monkeypatch, train_plugins, recipe_requirements) -> None:
    from motionctx.recipe import load_recipe

    for name, value in {
        "WAN_I2V_PATH": "/models/wan",
        "DWPOSE_DIR": "/models/dwpose",
        "TRAIN_MANIFEST": "/data/m.jsonl",
    }.items():
        monkeypatch.setenv(name, value)
    recipe = load_recipe(RECIPE)
    train = recipe.stages[1].params
    assert [s.run for s in recipe.stages] == ["prepare", "train"]
    assert (
        train["lora_rank"] == 256
        and train["lr"] == 5e-5
        and train["weight_decay"] == 0.01
        and train["frames"] == [49, 121]
    )
    assert recipe.parts["motion"].params["augment"] == {"bone_scale": [0.8, 1.2], "bbox_normalize": True}


def test_the_method_recipe_trains_tiny_parts_on_cpu(
    tmp_path: Path, make_clips, tiny_wan: Path, train_plugins, recipe_requirements
) -> None:
    """The pose recipe with the tiny Wan model, manifest keypoints and a fixed prompt: prepare
    caches the poses, train renders augmented skeletons from them (bf16, gradient checkpointing)."""
    from motionctx.pipeline import Pipeline
    from motionctx.recipe import load_recipe

    manifest = make_clips(keypoints=True)
    overrides = {
        "output": str(tmp_path / "out"),
        "parts.backbone.with": {"path": str(tiny_wan), "dtype": "float32", "device": "cpu"},
        "parts.motion.with.estimator": {"use": "keypoints_file", "with": {"path": "unused.npz"}},
        "parts.text": {"use": "static", "with": {"prompt": "a character dancing"}},
        "stages.0.with.manifest": str(manifest),
        "stages.0.with.cache": str(tmp_path / "cache"),
        "stages.0.with.min_frames": 5,
        "stages.1.with.steps": 2,
        "stages.1.with.frames": [5, 9],
        "stages.1.with.buckets": [[32, 32], [32, 48], [48, 32]],
        "stages.1.with.lora_rank": 4,
        "stages.1.with.num_workers": 0,
        "stages.1.with.validate_every": 0,
        "stages.1.with.warmup_steps": 1,
    }
    prepare, train = Pipeline(load_recipe(RECIPE, overrides), progress=False).run()
    # text embeddings: "auto" caches them, since the Wan backbones' training_loss accepts them
    assert prepare.metrics["computed"] == {"poses": 4, "text": 4}
    assert train.metrics["steps"] == 2 and train.outputs["lora"].is_file()
    meta = json.loads((tmp_path / "out" / "train" / "checkpoints" / "step-00000002" / "checkpoint.json").read_text())
    assert meta["complete"] and meta["step"] == 2


@pytest.fixture
def _registered(train_plugins):
    yield


@pytest.mark.usefixtures("_registered")
class TestPrepareStage(StageConformance):
    part_name = "prepare"
    params: ClassVar[dict[str, Any]] = {"manifest": "clips/manifest.jsonl"}


@pytest.mark.usefixtures("_registered")
class TestTrainStage(StageConformance):
    part_name = "train"
