"""The README's main job: recipes/demo.yaml animates the bundled character with the bundled tiny
model, end to end through the real recipe, backbone, LoRA, video encode and decode."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from motionctx.io import read_image, read_video
from motionctx.pipeline import Pipeline
from motionctx.recipe import load_recipe
from motionctx_toy.assets import read_sidecar
from motionctx_toy.bundled import bundled_lora, bundled_model
from motionctx_toy.clip import render_spec
from motionctx_toy.metrics import silhouette_iou

REPO = Path(__file__).resolve().parents[3]
ASSETS = REPO / "recipes" / "assets" / "demo"
#: recipe overrides for trying another trained model in place of the bundled one, e.g.
#: DEMO_TEST_MODELS=outputs/toy4 pytest plugins/motionctx-toy/tests/test_demo_recipe.py
_models = os.environ.get("DEMO_TEST_MODELS")
MODEL = {"inputs.model": f"{_models}/pretrain_i2v/train/model",
         "inputs.lora": f"{_models}/train_pose/train/lora.safetensors"} if _models else {}


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    recipe = load_recipe(REPO / "recipes" / "demo.yaml", {"output": str(out), "stages.0.with.steps": 10, **MODEL})
    Pipeline(recipe, progress=False).run()
    return out


def test_bundle_is_what_the_demo_loads() -> None:
    recipe = load_recipe(REPO / "recipes" / "demo.yaml")
    backbone = recipe.parts["backbone"].params
    assert Path(backbone["path"]).resolve() == bundled_model().resolve()
    assert bundled_lora() is not None and Path(backbone["lora"]).resolve() == bundled_lora().resolve()


def test_demo_writes_video_preview_and_sheet(demo_output: Path) -> None:
    out = read_video(demo_output / "out.mp4")
    assert tuple(out.frames.shape) == (17, 3, 48, 48)
    assert read_video(demo_output / "preview.mp4").num_frames == 17
    assert read_image(demo_output / "contact_sheet.png").pixels.shape[-1] > 48
    run = json.loads((demo_output / "run.json").read_text())
    assert run["recipe"]["name"] == "demo"


@pytest.mark.xfail(
    strict=True,
    reason="the bundled toy model does not follow the skeleton yet (docs/toy.md, 'Where it stands': IoU 0.054 "
    "vs 0.059 for copying on this clip); strict, so bundling a model that passes makes this fail until removed",
)
def test_demo_follows_the_driving_motion_better_than_copying(demo_output: Path) -> None:
    """Silhouette IoU against the exact ground truth (the reference character rendered with the
    driving clip's motion), frames 2.. (frame 1 is the reference pose in both)."""
    truth = render_spec(read_sidecar(ASSETS / "target.toy.json")["spec"])
    out = read_video(demo_output / "out.mp4").frames[1:]
    copy = read_image(ASSETS / "reference.png").pixels.unsqueeze(0).expand_as(out)
    mask = truth.mask[1:]
    iou_out = silhouette_iou(out, mask, truth.background)
    iou_copy = silhouette_iou(copy, mask, truth.background)
    assert iou_out > iou_copy + 0.05, (iou_out, iou_copy)
