"""Model-based scorers on tiny timm models saved to local files (the real ones load the same way)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch

from motionctx.errors import WeightsError
from motionctx.plugins import get_registry
from motionctx.testing import ScorerConformance, random_image
from motionctx.types import Video

from .conftest import square_clip

TINY = {"depth": 1, "embed_dim": 32, "num_heads": 2, "img_size": 32, "patch_size": 8}
DINO, CLIP = "vit_small_patch16_224.dino", "vit_base_patch32_clip_224.openai"


def save_tiny(model: str, path: Path, **overrides: Any) -> Path:
    """A tiny, seeded timm model of ``model``'s family saved as safetensors at ``path``.

    Its matrices are drawn at unit gain (timm's own init is tuned for training and leaves a tiny
    untrained model's output nearly constant), so like a trained model it answers its input."""
    import timm
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(0)
    net = timm.create_model(model, pretrained=False, **{**TINY, **overrides})
    with torch.no_grad():
        for p in net.parameters():
            if p.ndim >= 2:
                p.copy_(torch.randn(p.shape, generator=g) / p[0].numel() ** 0.5)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(net.state_dict(), str(path))
    return path


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("weights")
    return {"dino": save_tiny(DINO, root / "dino.safetensors"), "clip": save_tiny(CLIP, root / "clip" / "model.safetensors")}


def build(name: str, **params: Any):
    return get_registry().build("scorer", name, {"model_kwargs": TINY, **params})


def case():
    from motionctx.engines.evaluation.case import CaseSpec, EvalCase

    spec = CaseSpec("c", Path("r.png"), Path("d.mp4"))
    return EvalCase(spec, random_image(32, 32), Video(torch.rand(6, 3, 32, 32)))


def clips() -> dict[str, Video]:
    red, grey = (0.9, 0.1, 0.1), (0.5, 0.5, 0.5)
    moving = square_clip(red, grey, [2, 5, 8, 11, 14, 17, 20, 22])
    g = torch.Generator().manual_seed(1)
    a, b = torch.rand(3, 32, 32, generator=g), torch.rand(3, 32, 32, generator=g)
    return {
        "still": Video(moving[:1].repeat(8, 1, 1, 1)),
        "moving": Video(moving),
        "flicker": Video(torch.stack([a if t % 2 else b for t in range(8)])),
    }


@pytest.mark.parametrize(("name", "key", "model"), [("subject_consistency", "dino", DINO),
                                                    ("background_consistency", "clip", CLIP)])
def test_still_scores_above_moving_above_flicker(weights, name, key, model) -> None:
    # the clip weights are given as their hub-style folder, the dino weights as a file
    scorer = build(name, model=model, weights=str(weights[key] if key == "dino" else weights[key].parent))
    scorer.ensure_loaded()
    got = {k: scorer.score(v, case()) for k, v in clips().items()}
    assert got["still"] == pytest.approx({"consistency": 1.0, "to_first": 1.0, "to_previous": 1.0}, abs=1e-6)
    assert 1.0 > got["moving"]["consistency"] > got["flicker"]["consistency"] + 0.01, got
    assert scorer.score(Video(clips()["still"].frames[:1]), case()) == {}  # one frame: nothing to compare


def test_consistency_compares_with_the_first_and_the_previous_frame() -> None:
    from motionctx.metrics.features import feature_consistency

    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    # a a b: frame 3 leaves both the first and its previous frame
    assert feature_consistency(torch.stack([a, a, b])) == {"consistency": 0.5, "to_first": 0.5, "to_previous": 0.5}
    # a b b: frame 3 stays with its previous frame, never returns to the first
    assert feature_consistency(torch.stack([a, b, b])) == {"consistency": 0.25, "to_first": 0.0, "to_previous": 0.5}
    assert feature_consistency(torch.stack([a, -a]))["consistency"] == 0.0  # opposite counts as unrelated


def test_missing_weights_are_one_clear_error_before_any_load(tmp_path: Path) -> None:
    gone = tmp_path / "no" / "dino.safetensors"
    scorer = build("subject_consistency", weights=str(gone), model=DINO)
    [missing] = scorer.missing_files()
    assert missing.path == str(gone) and missing.weights and "pretrained=True" in missing.hint
    with pytest.raises(WeightsError) as exc:
        scorer.ensure_loaded()
    text = str(exc.value)
    assert "subject_consistency.with.weights" in text and str(gone) in text
    assert f"timm.create_model('{DINO}', pretrained=True)" in exc.value.hint and "save_file" in exc.value.hint


def test_recipe_preflight_names_the_missing_weights(tmp_path: Path) -> None:
    from motionctx.preflight import check_files
    from motionctx.recipe import load_recipe

    recipe = tmp_path / "r.yaml"
    recipe.write_text("motionctx: 1\nname: r\nparts:\n  subject: {kind: scorer, use: subject_consistency, "
                      f"with: {{weights: {tmp_path / 'absent.safetensors'}}}}}\nstages: []\n")
    with pytest.raises(WeightsError, match=r"absent\.safetensors \(parts\.subject: subject_consistency weights"):
        check_files(load_recipe(recipe), inputs=False)


@pytest.mark.parametrize(("params", "words"), [
    ({"model_kwargs": {**TINY, "depth": 2}}, "missing (blocks.1."),
    ({"model_kwargs": {**TINY, "embed_dim": 48}}, "of another shape"),
    ({"model": CLIP}, "missing (head.bias, head.weight"),
])
def test_weights_of_another_architecture_are_refused(weights, params, words) -> None:
    scorer = get_registry().build("scorer", "subject_consistency", {"weights": str(weights["dino"]), "model": DINO,
                                                                     "model_kwargs": TINY, **params})
    with pytest.raises(WeightsError, match="does not fit timm model") as exc:
        scorer.ensure_loaded()
    assert words in str(exc.value) and "set `model`" in exc.value.hint


def test_pooled_features_ignore_the_head_and_torch_files_load(weights, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    pt = tmp_path / "clip.pt"
    torch.save({"state_dict": load_file(str(weights["clip"]))}, pt)
    scorer = build("background_consistency", weights=str(pt), pooled=True)
    scorer.ensure_loaded()
    assert scorer.features.embed(clips()["still"]).shape == (8, 32)  # the width before the 512-d projection
    (tmp_path / "empty").mkdir()
    with pytest.raises(WeightsError, match="holds none of model.safetensors"):
        build("background_consistency", weights=str(tmp_path / "empty")).ensure_loaded()


class TestSubjectConformance(ScorerConformance):
    part_name = "subject_consistency"
    params: ClassVar[dict[str, Any]] = {}

    @pytest.fixture(autouse=True)
    def _weights(self, weights: dict[str, Path]) -> None:
        self.params = {"weights": str(weights["dino"]), "model": DINO, "model_kwargs": TINY}


class TestBackgroundConformance(TestSubjectConformance):
    part_name = "background_consistency"

    @pytest.fixture(autouse=True)
    def _weights(self, weights: dict[str, Path]) -> None:
        self.params = {"weights": str(weights["clip"]), "model": CLIP, "model_kwargs": TINY}


def test_evaluate_stops_before_any_pair_when_scorer_weights_are_missing(tmp_path: Path, baseline_recipe: Path) -> None:
    from motionctx.recipe import load_recipe

    gone = tmp_path / "weights" / "dino.safetensors"
    text = baseline_recipe.read_text().replace(
        "parts:\n", f"parts:\n  subject: {{kind: scorer, use: subject_consistency, with: {{weights: {gone}}}}}\n")
    baseline_recipe.write_text(text + f"output: {tmp_path / 'out'}\n")
    with pytest.raises(WeightsError, match=r"dino\.safetensors \(parts\.subject: subject_consistency weights"):
        load_recipe(baseline_recipe).run(progress=False)
    assert not (tmp_path / "out" / "eval" / "pairs").exists()


def test_filter_stage_keeps_the_steady_sample_by_subject_consistency(tmp_path: Path, weights) -> None:
    from motionctx.io import append_jsonl, read_jsonl, write_image, write_video
    from motionctx.recipe import load_recipe

    videos = clips()
    ref = write_image(tmp_path / "ref.png", videos["still"].frame(0))
    manifest = tmp_path / "synth.jsonl"
    for uid in ("still", "flicker"):
        video = write_video(tmp_path / f"{uid}.mp4", videos[uid])
        append_jsonl(manifest, {"id": uid, "driving": str(video), "reference": str(ref), "video": str(video)})
    recipe = tmp_path / "f.yaml"
    recipe.write_text(
        f"motionctx: 1\nname: f\noutput: {tmp_path / 'out'}\nparts:\n"
        f"  subject: {{kind: scorer, use: subject_consistency, with: {{weights: {weights['dino']}, model: {DINO}, "
        f"model_kwargs: {TINY}}}}}\n"
        f"stages:\n  - {{run: filter, with: {{manifest: {manifest}, filter: null, threshold: 3.0, "
        "scorers: {subject: {consistency: [0.8, 1.0]}}}}\n")
    load_recipe(recipe).run(progress=False)
    rows = {r["id"]: r for r in read_jsonl(tmp_path / "out" / "scores.jsonl")}
    assert rows["still"]["scores"]["subject.consistency"] > 4.9
    assert rows["flicker"]["metrics"]["subject.consistency"] < 0.8 and rows["flicker"]["mean"] == 1.0
    assert [r["id"] for r in read_jsonl(tmp_path / "out" / "filtered.jsonl")] == ["still"]
    # the same recipe without its weights stops before any sample is scored
    (tmp_path / "out" / "scores.jsonl").unlink()
    recipe.write_text(recipe.read_text().replace(str(weights["dino"]), str(tmp_path / "gone.safetensors")))
    with pytest.raises(WeightsError, match="gone.safetensors"):
        load_recipe(recipe).run(progress=False)
    assert not (tmp_path / "out" / "scores.jsonl").exists()
