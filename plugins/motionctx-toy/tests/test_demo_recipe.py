"""The README's main job: recipes/demo.yaml animates a held-out toy character with the bundled tiny
model, end to end through the real recipe, backbone, video encode and decode."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from motionctx.io import read_image, read_video
from motionctx.pipeline import Pipeline
from motionctx.recipe import load_recipe
from motionctx_toy.assets import read_sidecar
from motionctx_toy.bundled import BUNDLED, bundled_model
from motionctx_toy.clip import render_spec
from motionctx_toy.metrics import silhouette_iou

REPO = Path(__file__).resolve().parents[3]
#: how much better than copying the demo's output must match the truth (silhouette IoU)
MARGIN = 0.15
ASSETS = REPO / "recipes" / "assets" / "demo"
#: recipe overrides for trying another trained model in place of the bundled one, e.g.
#: DEMO_TEST_MODELS=outputs/toy pytest plugins/motionctx-toy/tests/test_demo_recipe.py
_models = os.environ.get("DEMO_TEST_MODELS")
MODEL = {"inputs.model": f"{_models}/pose_full/train/model"} if _models else {}


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    recipe = load_recipe(REPO / "recipes" / "demo.yaml", {"output": str(out), "stages.0.with.steps": 10, **MODEL})
    Pipeline(recipe, progress=False).run()
    return out


def test_bundle_is_what_the_demo_loads() -> None:
    """The demo loads the bundled model with the backbone settings it was trained with, and its
    case is held out and cross-identity (another character, other proportions)."""
    recipe = load_recipe(REPO / "recipes" / "demo.yaml")
    backbone = recipe.parts["backbone"].params
    assert Path(backbone["path"]).resolve() == bundled_model().resolve()
    assert "lora" not in backbone
    trained = json.loads((BUNDLED / "training.json").read_text())["backbone"]
    assert {k: backbone[k] for k in trained} == trained
    reference, driving = (read_sidecar(ASSETS / f"{n}.toy.json")["spec"] for n in ("reference", "driving"))
    assert reference["characters"][0]["seed"] != driving["characters"][0]["seed"]
    assert min(reference["characters"][0]["seed"], driving["characters"][0]["seed"]) >= 1_000_000


def test_demo_sidecars_render_their_media_again() -> None:
    """Each demo asset's sidecar describes its media: its spec renders the same pixels, exactly
    for the reference (a still held from another motion of its character), within the coding of
    the mp4 videos (4:2:0 like a user's: 0.028-0.031 mean absolute difference measured)."""
    for name, media in (("reference", "reference.png"), ("driving", "driving.mp4"), ("target", "target.mp4")):
        spec = read_sidecar(ASSETS / f"{name}.toy.json")["spec"]
        stored = read_image(ASSETS / media).pixels[None] if media.endswith(".png") else read_video(ASSETS / media).frames
        again = render_spec(spec).video.frames
        assert again.shape == stored.shape, name
        diff = (again - stored).abs()
        assert float(diff.max() if media.endswith(".png") else diff.mean()) <= (1 / 255 + 1e-6 if media.endswith(".png") else 0.04), name


def test_demo_writes_video_preview_and_sheet(demo_output: Path) -> None:
    out = read_video(demo_output / "out.mp4")
    assert tuple(out.frames.shape) == (17, 3, 32, 32)
    assert read_video(demo_output / "preview.mp4").num_frames == 17
    assert read_image(demo_output / "contact_sheet.png").pixels.shape[-2] > 4 * 128  # four enlarged rows
    run = json.loads((demo_output / "run.json").read_text())
    assert run["recipe"]["name"] == "demo"


@pytest.mark.xfail(
    strict=True,
    reason="the bundled model (pose_full.yaml, width 256, 5000 steps) follows the skeleton with a blurred figure "
    "in the reference's colours: on this clip IoU 0.499 at this test's 10 steps (0.502 at make demo's 20) vs 0.354 "
    "for the copy coded as out.mp4 is (0.375 exact), a margin of 0.145 (0.148), not 0.15 "
    "(docs/toy.md, 'Where it stands'); strict, so bundling a model that passes makes this fail until the mark is removed",
)
def test_demo_follows_the_driving_motion_better_than_copying(demo_output: Path, tmp_path: Path) -> None:
    """Silhouette IoU against the exact ground truth (the reference character rendered with the
    driving clip's motion), frames 2.. (frame 1 is the given reference in the output). The copy
    goes through the same video coding as out.mp4 (4:2:0 chroma moves the colours of 32-pixel
    frames: the truth itself scores about 0.67 once coded)."""
    from motionctx.io import write_video
    from motionctx.types import Video

    truth = render_spec(read_sidecar(ASSETS / "target.toy.json")["spec"])
    out = read_video(demo_output / "out.mp4").frames[1:]
    still = read_image(ASSETS / "reference.png").pixels.unsqueeze(0).expand_as(out).contiguous()
    copy = read_video(write_video(tmp_path / "copy.mp4", Video(still))).frames
    mask = truth.mask[1:]
    iou_out = silhouette_iou(out, mask, truth.background)
    iou_copy = silhouette_iou(copy, mask, truth.background)
    assert iou_out > iou_copy + MARGIN, (iou_out, iou_copy)
