"""Recipe YAML under limits: what is refused is covered by tests/test_bad_inputs.py; here, what
must keep working."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from motionctx import safeyaml
from motionctx.errors import RecipeError
from motionctx.recipe import load_recipe


def test_merge_keys_may_be_overridden_and_anchors_shared() -> None:
    data = safeyaml.loads("base: &b {steps: 2, seed: 1}\nrun: {<<: *b, seed: 5}\nagain: *b\n")
    assert data["run"] == {"steps": 2, "seed": 5} and data["again"] == {"steps": 2, "seed": 1}


def test_a_byte_order_mark_and_anchors_in_a_recipe_are_fine(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    text = "motionctx: 1\nname: bom\nparts:\n  composer: &c {use: spatial}\n  other: {kind: composer, <<: *c}\n"
    recipe.write_bytes("\ufeff".encode() + text.encode())
    assert load_recipe(recipe).parts["other"].use == "spatial"


def test_the_limits_are_reached_quickly() -> None:
    bomb = "a: &a [" + ", ".join(["x"] * 50) + "]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 50)}]\n" for p, n in zip("abc", "bcd")
    )
    started = time.perf_counter()
    with pytest.raises(RecipeError, match="expands to more than"):
        safeyaml.loads(bomb)
    with pytest.raises(RecipeError, match="nested deeper than 64"):
        safeyaml.loads("{a: " * 100_000)
    assert time.perf_counter() - started < 5


def test_a_set_value_that_is_not_yaml_is_text(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("motionctx: 1\nname: x\n")
    assert load_recipe(recipe, ["description=a: b: c"]).data["description"] == "a: b: c"
