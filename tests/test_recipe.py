"""Recipes: extends, overrides, interpolation, validation errors, and running with swapped parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from motionctx.errors import MissingDistributionError, RecipeError
from motionctx.io import read_video
from motionctx.recipe import load_recipe

from .conftest import run_cli

BASE = """\
motionctx: 1
name: t
inputs: {{reference: {reference}, driving: {driving}}}
parts:
  motion: {{use: raw_video}}
  composer: {{use: spatial}}
  text: {{use: static, with: {{prompt: a dancer}}}}
stages:
  - run: compose
    with: {{reference: "${{inputs.reference}}", driving: "${{inputs.driving}}"}}
"""


@pytest.fixture
def recipe(tmp_path: Path, media: dict[str, Path]) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(BASE.format(**media))
    return path


def _write(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_load_resolves_references_and_slots(recipe: Path, media: dict[str, Path]) -> None:
    r = load_recipe(recipe)
    assert r.parts["composer"].kind == "composer" and r.parts["motion"].kind == "motion_source"
    assert r.stages[0].params["reference"] == str(media["reference"])


def test_extends_deep_merges_and_overrides_apply(tmp_path: Path, recipe: Path) -> None:
    child = _write(tmp_path, f"extends: {recipe.name}\nparts:\n  text: {{with: {{prompt: other}}}}\n", "child.yaml")
    r = load_recipe(child, ["parts.composer.use=temporal", "stages.0.with.max_frames=5"])
    assert r.parts["text"].use == "static" and r.parts["text"].params == {"prompt": "other"}
    assert r.parts["composer"].use == "temporal" and r.stages[0].params["max_frames"] == 5


def test_overriding_an_input_nothing_uses_is_an_error(recipe: Path, tmp_path: Path) -> None:
    """A misspelt or foreign input would otherwise be ignored and the run would use the recipe's own."""
    with pytest.raises(RecipeError, match="no input 'refrence'") as err:
        load_recipe(recipe, ["inputs.refrence=me.png"])
    assert err.value.hint == "did you mean inputs.reference?"
    with pytest.raises(RecipeError, match="no input 'size'"):
        load_recipe(recipe, {"inputs.size": 64})
    assert load_recipe(recipe, ["inputs.reference=me.png"]).stages[0].params["reference"] == "me.png"
    uses_new = _write(tmp_path, recipe.read_text().replace('"${inputs.driving}"', '"${inputs.clip}"'))
    assert load_recipe(uses_new, ["inputs.clip=d.mp4"]).stages[0].params["driving"] == "d.mp4"  # referred to: fine
    out = run_cli("recipe", "validate", str(recipe), "--set", "inputs.refrence=me.png")
    assert out.returncode == 2 and "inputs.reference" in out.stderr


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "extends: b.yaml\nmotionctx: 1\n", "a.yaml")
    _write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(RecipeError, match="cycle"):
        load_recipe(tmp_path / "a.yaml")


def test_env_interpolation_with_default_and_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "motionctx: 1\nname: ${NAME_FROM_ENV:-fallback}\nparts:\n  text: {use: static, with: {prompt: '${PROMPT_X}'}}\n"
    p = _write(tmp_path, text)
    with pytest.raises(RecipeError) as err:
        load_recipe(p)
    assert "parts.text.with.prompt" in err.value.message and "PROMPT_X is not set" in err.value.message
    assert "--set parts.text.with.prompt=" in err.value.hint
    monkeypatch.setenv("PROMPT_X", "hello")
    r = load_recipe(p)
    assert r.name == "fallback" and r.parts["text"].params["prompt"] == "hello"


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "motionctx: 1\nparts:\n  composer: {use: spatial\n")
    with pytest.raises(RecipeError, match=r"x.yaml.*invalid YAML: line \d+, column \d+"):
        load_recipe(p)


def test_unknown_part_names_key_value_and_closest_match(tmp_path: Path) -> None:
    p = _write(tmp_path, "motionctx: 1\nparts:\n  composer: {use: spatail}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(p)
    assert "x.yaml:parts.composer.use" in err.value.message and "'spatail'" in err.value.message
    assert "did you mean 'spatial'?" in err.value.hint


def test_bad_parameter_names_key_and_close_match(tmp_path: Path) -> None:
    p = _write(tmp_path, "motionctx: 1\nparts:\n  composer: {use: spatial, with: {refernce_side: left}}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(p)
    assert "parts.composer.with.refernce_side: unknown parameter for composer 'spatial'" in err.value.message
    assert "did you mean 'reference_side'?" in err.value.hint
    p = _write(tmp_path, "motionctx: 1\nparts:\n  composer: {use: spatial, with: {reference_side: up}}\n")
    with pytest.raises(RecipeError, match=r"parts.composer.with.reference_side: .*'left' or 'right'.*got 'up'"):
        load_recipe(p)


def test_missing_distribution_names_it_and_the_install_command(tmp_path: Path) -> None:
    p = _write(tmp_path, "motionctx: 1\nrequires: [motionctx-nonexistent>=0.1]\nparts:\n  composer: {use: nope}\n")
    with pytest.raises(MissingDistributionError) as err:
        load_recipe(p)
    assert "requires motionctx-nonexistent, which is not installed" in err.value.message
    assert "pip install 'motionctx-nonexistent>=0.1'" in err.value.hint
    p = _write(tmp_path, "motionctx: 1\nrequires: [motionctx>=99]\n")
    with pytest.raises(MissingDistributionError, match="requires motionctx>=99, but motionctx 0.1.0 is installed"):
        load_recipe(p)


def test_schema_and_structure_errors(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="schema version must be 1"):
        load_recipe(_write(tmp_path, "motionctx: 2\n"))
    with pytest.raises(RecipeError, match="unknown top-level key 'stage'") as err:
        load_recipe(_write(tmp_path, "motionctx: 1\nstage: []\n"))
    assert "did you mean 'stages'" in err.value.hint
    with pytest.raises(RecipeError, match="cannot tell the kind of part slot 'teacher'"):
        load_recipe(_write(tmp_path, "motionctx: 1\nparts:\n  teacher: {use: spatial}\n"))
    assert load_recipe(_write(tmp_path, "motionctx: 1\nparts:\n  teacher: {kind: composer, use: spatial}\n"))
    with pytest.raises(RecipeError, match="stage 'compose' needs a part in slot 'motion'"):
        load_recipe(_write(tmp_path, "motionctx: 1\nstages:\n  - {run: compose, with: {reference: a, driving: b}}\n"))
    with pytest.raises(RecipeError, match=r"stages.0.with.driving: Field required"):
        load_recipe(_write(tmp_path, "motionctx: 1\nparts: {motion: {use: raw_video}, composer: {use: spatial}}\n"
                                     "stages:\n  - {run: compose, with: {reference: a}}\n"))


def test_swap_composer_by_override_with_no_code_change(recipe: Path, tmp_path: Path) -> None:
    spatial = run_cli("recipe", "run", str(recipe), "-o", str(tmp_path / "s"), "--no-progress")
    assert spatial.returncode == 0, spatial.stderr
    temporal = run_cli("recipe", "run", str(recipe), "-o", str(tmp_path / "t"), "--no-progress",
                       "--set", "parts.composer.use=temporal")
    assert temporal.returncode == 0, temporal.stderr
    s, t = read_video(tmp_path / "s" / "composite.mp4"), read_video(tmp_path / "t" / "composite.mp4")
    assert s.num_frames == 9 and s.size == (48, 64)  # 11 frames snapped to 9; ref 40x36 snapped to 48x32; side by side
    assert t.num_frames == 9 + 12 and t.size == (48, 32)  # motion, then the target padded to the frame rule
    assert (tmp_path / "s" / "prompt.txt").read_text().strip() == "a dancer"
    assert (tmp_path / "s" / "run.json").is_file()


def test_cli_exit_codes_and_messages(tmp_path: Path, recipe: Path) -> None:
    bad = _write(tmp_path, "motionctx: 1\nparts:\n  composer: {use: spatail}\n")
    out = run_cli("recipe", "validate", str(bad))
    assert out.returncode == 2
    assert out.stderr.splitlines()[0].startswith("error: ") and "did you mean 'spatial'?" in out.stderr
    assert "Traceback" not in out.stderr
    assert "Traceback" in run_cli("--traceback", "recipe", "validate", str(bad)).stderr
    assert run_cli("recipe", "validate", str(tmp_path / "missing.yaml")).returncode == 2
    ok = run_cli("recipe", "validate", str(recipe))
    assert ok.returncode == 0 and "ok" in ok.stdout
    shown = run_cli("recipe", "show", str(recipe), "--set", "parts.composer.use=temporal")
    assert "use: temporal" in shown.stdout and "${" not in shown.stdout


def test_unreadable_driving_video_exits_2(recipe: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"garbage" * 100)
    out = run_cli("recipe", "run", str(recipe), "-o", str(tmp_path / "o"), "--set", f"inputs.driving={broken}")
    assert out.returncode == 2 and "cannot read video" in out.stderr and "broken.mp4" in out.stderr
    assert not (tmp_path / "o" / "composite.mp4").exists()


def test_nested_part_is_validated(tmp_path: Path) -> None:
    p = _write(tmp_path, "motionctx: 1\nparts:\n  motion: {use: pose, with: {estimator: {use: keypoint_file}}}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(p)
    assert "parts.motion.with.estimator.use" in err.value.message
    assert "did you mean 'keypoints_file'?" in err.value.hint
    p = _write(tmp_path, "motionctx: 1\nparts:\n  motion: {use: pose, with: {estimator: {use: keypoints_file, with: {pth: a}}}}\n")
    with pytest.raises(RecipeError, match="parts.motion.with.estimator.with.pth: unknown parameter"):
        load_recipe(p)


def test_nested_config_typo_suggests_from_the_nested_model(tmp_path: Path) -> None:
    p = _write(tmp_path, "motionctx: 1\nparts:\n  motion: {use: pose, with: {augment: {bone_scal: [0.9, 1.1]}}}\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(p)
    assert "parts.motion.with.augment.bone_scal: unknown parameter" in err.value.message
    assert "did you mean 'bone_scale'?" in err.value.hint


def test_secret_like_values_are_not_echoed() -> None:
    from typing import ClassVar

    from pydantic import Field

    from motionctx.parts import PartConfig, TextGuider

    class G(TextGuider):
        """test"""

        name: ClassVar[str] = "g"

        class Config(PartConfig):
            api_key_env: int = Field(0, description="x")

        def describe(self, reference, driving):  # pragma: no cover
            return ""

    with pytest.raises(RecipeError) as err:
        G.parse_config({"api_key_env": "sk-very-secret-value"})
    assert "api_key_env" in err.value.message and "sk-very-secret-value" not in str(err.value)


def test_area_scales_reference_keeping_aspect() -> None:
    from motionctx.engines.inputs import fit_inputs
    from motionctx.testing import random_image, random_video
    from motionctx.types import Geometry

    fitted = fit_inputs(random_image(200, 100), random_video(5, 20, 20), Geometry(size_multiple=16), area=128 * 64)
    assert fitted.reference.size == (128, 64)


def test_lowercase_top_level_keys_are_recipe_references(tmp_path: Path) -> None:
    p = _write(tmp_path, "motionctx: 1\nname: run7\noutput: out/${name}\nparts:\n  text: {use: static, with: {prompt: '${output}/x'}}\n")
    r = load_recipe(p)
    assert r.parts["text"].params["prompt"] == "out/run7/x"


def test_extends_replaces_a_part_whose_use_changes(tmp_path: Path) -> None:
    _write(tmp_path, "motionctx: 1\nparts:\n  composer: {use: spatial, with: {reference_side: right}}\n", "base.yaml")
    child = _write(tmp_path, "extends: base.yaml\nparts:\n  composer: {use: temporal}\n", "child.yaml")
    assert load_recipe(child).parts["composer"].params == {}
